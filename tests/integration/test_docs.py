"""test_docs.py: --help, the man page and the shell completions agree.

The option table in src/options.c is the one description of hotload's
options, and --help is printed from it. These tests read the options from
the real binary's --help and fail, naming the option, when man/hotload.1
(its SYNOPSIS or its list of options) or a completion file leaves one out,
names one that --help does not have, or gives it another argument. Each
checker is a plain function of text, and a test feeds it a doctored text to
show that it can fail.
"""

import os
import re
import shlex
import shutil
import subprocess
import tempfile
import unittest
from collections import namedtuple

import harness

MAN = os.path.join(harness.SOURCE_DIR, "man", "hotload.1")
COMPLETIONS = {
    "bash": os.path.join(harness.SOURCE_DIR, "completions", "hotload.bash"),
    "zsh": os.path.join(harness.SOURCE_DIR, "completions", "_hotload"),
    "fish": os.path.join(harness.SOURCE_DIR, "completions", "hotload.fish"),
}
SYNTAX_CHECK = {
    "bash": ["bash", "-n"],
    "zsh": ["zsh", "-n"],
    "fish": ["fish", "--no-execute"],
}

# One option of --help: short is a letter or None, long has no dashes, arg
# is the argument's name or None.
Option = namedtuple("Option", "short long arg")

# "  -m, --module NAME      import ..." or "      --no-clear             do";
# "--name=ARG" is read as "--name ARG".
HELP_OPTION = re.compile(
    r"^  (?:-(?P<short>[^\s-]), |    )--(?P<long>[a-z0-9][a-z0-9-]*)"
    r"(?:[ =](?P<arg>[A-Z][A-Z0-9_]*))?(?=\s|$)")
# Any line of --help that starts like an option.
HELP_OPTION_LIKE = re.compile(r"^  (?:-\S, |    )--")

# mdoc macros that may be called inside a line (mdoc(7)), and the
# delimiters that do not end a macro's arguments.
MDOC_CALLABLE = set("""
    Ac Ad An Ao Ap Aq Ar At Bc Bo Bq Brc Bro Brq Bsx Bx Cd Cm Dc Do Dq Dv Dx
    Em Er Es Ev Fa Fc Fl Fn Fr Ft Fx Ic Li Lk Ms Mt Nm No Ns Nx Oc Oo Op Ot
    Ox Pa Pc Pf Po Pq Qc Ql Qo Qq Sc So Sq St Sx Sy Tn Ux Va Vt Xc Xo Xr
""".split())
MDOC_DELIMITERS = set("|()[].,:;?!=")


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def run_hotload(*args):
    """Run hotload; return (status, stdout, stderr)."""
    return harness.run(args, cwd=None)


def help_options(text):
    """The options listed in --help output, in order."""
    return [Option(m.group("short"), m.group("long"), m.group("arg"))
            for m in map(HELP_OPTION.match, text.splitlines()) if m]


def unread_help_lines(text):
    """The lines of --help that look like an option's but that
    help_options cannot read: an option no check here would see."""
    return [line for line in text.splitlines()
            if HELP_OPTION_LIKE.match(line) and not HELP_OPTION.match(line)]


def spellings(opt):
    """The ways of writing opt on a command line: -x and --name."""
    return (["-" + opt.short] if opt.short else []) + ["--" + opt.long]


def wide_lines(text, width=80):
    """The lines of text longer than width columns, with their numbers."""
    return ["line %d has %d columns: %r" % (i, len(line), line)
            for i, line in enumerate(text.splitlines(), 1)
            if len(line) > width]


def cmake_version(text):
    """The VERSION of project(hotload ...) in a CMakeLists.txt, or None."""
    m = re.search(
        r"\bproject\s*\(\s*hotload\b[^)]*?\bVERSION\s+([0-9][0-9.]*)",
        text, re.S)
    return m.group(1) if m else None


# The man page.

def man_items(text):
    """The options of each .It line of an mdoc page.

    Returns a list of dicts, one per .It line naming options, that map each
    option ("-m", "--module") to the Ar names after it on that line.
    """
    items = []
    for line in text.splitlines():
        if not line.startswith(".It "):
            continue
        words = line.split()
        item, current = {}, None
        for i, word in enumerate(words[:-1]):
            if word == "Fl":
                current = "-" + words[i + 1]
                item.setdefault(current, [])
            elif word == "Ar" and current is not None:
                item[current].append(words[i + 1])
        if item:
            items.append(item)
    return items


def man_problems(options, text):
    """What is wrong in the man page text for options, as sentences."""
    problems = []
    items = man_items(text)
    described = set()
    for item in items:
        described.update(item)
    for opt in options:
        names = spellings(opt)
        item = next((it for it in items if "--" + opt.long in it), None)
        if item is None:
            problems.append(
                "--%s is in --help but has no '.It Fl -%s' entry in "
                "man/hotload.1" % (opt.long, opt.long))
            continue
        for name in names:
            if name not in item:
                problems.append(
                    "%s is in --help but missing from the '.It' entry of "
                    "--%s in man/hotload.1" % (name, opt.long))
                continue
            args = item[name]
            want = [opt.arg] if opt.arg else []
            if args != want:
                problems.append(
                    "%s takes %s in --help but %s in man/hotload.1" % (
                        name, opt.arg or "no argument",
                        " ".join(args) or "no argument"))
    known = {name for opt in options for name in spellings(opt)}
    for name in sorted(described - known):
        problems.append("man/hotload.1 describes %s, which --help does not "
                        "list" % name)
    return problems


def man_section(text, name):
    """The lines of the section .Sh name, up to the next .Sh."""
    m = re.search(r"^\.Sh %s\n(.*?)(?=^\.Sh |\Z)" % re.escape(name), text,
                  re.S | re.M)
    return m.group(1) if m else ""


def synopsis_options(text):
    """The options that the SYNOPSIS section of an mdoc page names.

    Returns a dict that maps each option ("-m", "--repl") to a list with,
    for each time the SYNOPSIS names it, the Ar names that follow it.
    "Fl 01c" names -0, -1 and -c; "Fl -repl" names --repl; in "Fl m Ar
    NAME" and "Fl h | V Ar X", the Ar belongs to every option of that Fl.
    """
    named = {}
    for line in man_section(text, "SYNOPSIS").splitlines():
        if not line.startswith(".") or line.startswith(".\\\""):
            continue
        macro, group = None, []
        for i, word in enumerate(line[1:].split()):
            if i == 0 or word in MDOC_CALLABLE:
                if word not in ("Ar", "Ns"):
                    group = []  # a new Fl, or no option's argument
                macro = word
            elif word in MDOC_DELIMITERS:
                continue
            elif macro == "Fl":
                if word.startswith("-"):
                    names = ["-" + word]
                else:
                    names = ["-" + letter for letter in word]
                for name in names:
                    args = []
                    named.setdefault(name, []).append(args)
                    group.append(args)
            elif macro == "Ar":
                for args in group:
                    args.append(word)
                group = []
            else:
                group = []
    return named


def synopsis_problems(options, text):
    """What is wrong in the man page's SYNOPSIS for options: each option
    must be named there (as -x or as --name), with its argument."""
    problems = []
    named = synopsis_options(text)
    for opt in options:
        names = [name for name in spellings(opt) if name in named]
        if not names:
            problems.append(
                "--%s is in --help but the SYNOPSIS of man/hotload.1 does "
                "not name it (as %s)" % (opt.long, " or ".join(
                    spellings(opt))))
        want = [opt.arg] if opt.arg else []
        for name in names:
            for args in named[name]:
                if args != want:
                    problems.append(
                        "%s takes %s in --help but %s in the SYNOPSIS of "
                        "man/hotload.1" % (name, opt.arg or "no argument",
                                           " ".join(args) or "no argument"))
    known = {name for opt in options for name in spellings(opt)}
    for name in sorted(set(named) - known):
        problems.append("the SYNOPSIS of man/hotload.1 names %s, which "
                        "--help does not list" % name)
    return problems


def exit_status_problems(text):
    """Which exit statuses the EXIT STATUS section fails to describe."""
    section = man_section(text, "EXIT STATUS")
    if not section:
        return ["man/hotload.1 has no EXIT STATUS section"]
    problems = []
    for status in ("0", "1", "2"):
        if not re.search(r"^\.It %s\s*$" % status, section, re.M):
            problems.append("EXIT STATUS has no '.It %s' entry" % status)
    for status in ("130", "143"):
        if not re.search(r"\b%s\b" % status, section):
            problems.append("EXIT STATUS does not mention %s" % status)
    return problems


# The completion files.

def bash_offered(text):
    """The options the bash completion offers: the words of its opts="..."."""
    m = re.search(r'\bopts="([^"]*)"', text)
    return set(m.group(1).split()) if m else set()


def bash_with_argument(text):
    """The options named in the case patterns of the bash completion."""
    names = set()
    for m in re.finditer(r"^\s*(-[^\n()]*)\)\s*$", text, re.M):
        names.update(w.strip() for w in m.group(1).split("|"))
    return names


def zsh_offered(text):
    """The options of the zsh completion's _arguments specs.

    In a spec an option is followed by +, =, [ or, in a {a,b} group, by a
    comma or }; names in exclusion lists and descriptions are not.
    """
    return set(re.findall(
        r"(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)(?:[+=]-?)?(?=[\[,}])",
        text))


def zsh_with_argument(text):
    """The options that a zsh spec gives an argument (+ or = after them)."""
    return set(re.findall(r"(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)[+=]",
                          text))


def fish_lines(text):
    """The complete -c hotload commands of the fish completion, split."""
    lines = []
    for line in text.splitlines():
        if line.strip().startswith("complete "):
            words = shlex.split(line, comments=True)
            if "hotload" in words:
                lines.append(words)
    return lines


def fish_names(words):
    """The options that one complete command describes."""
    names = []
    for i, word in enumerate(words[:-1]):
        if word in ("-s", "--short-option"):
            names.append("-" + words[i + 1])
        elif word in ("-l", "--long-option", "-o", "--old-option"):
            names.append("--" + words[i + 1])
    return names


def fish_offered(text):
    return {name for words in fish_lines(text) for name in fish_names(words)}


def fish_with_argument(text):
    """The options whose complete line says they take one (-x or -r)."""
    return {name for words in fish_lines(text)
            if {"-x", "-r", "--exclusive", "--require-parameter"} & set(words)
            for name in fish_names(words)}


PARSERS = {
    "bash": (bash_offered, bash_with_argument),
    "zsh": (zsh_offered, zsh_with_argument),
    "fish": (fish_offered, fish_with_argument),
}


def completion_problems(shell, options, text):
    """What is wrong in the shell's completion text for options."""
    offered, with_argument = (f(text) for f in PARSERS[shell])
    where = "completions/" + os.path.basename(COMPLETIONS[shell])
    problems = []
    for opt in options:
        for name in spellings(opt):
            if name not in offered:
                problems.append("%s is in --help but missing from %s" % (
                    name, where))
            elif opt.arg and name not in with_argument:
                problems.append("%s takes %s, but %s does not complete it "
                                "as taking an argument" % (name, opt.arg,
                                                           where))
    known = {name for opt in options for name in spellings(opt)}
    for name in sorted(offered - known):
        problems.append("%s offers %s, which --help does not list" % (
            where, name))
    return problems


def syntax_error(shell, path):
    """Check a file's syntax with the shell; return its complaint or None."""
    p = subprocess.run(SYNTAX_CHECK[shell] + [path], capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=harness.TIMEOUT)
    out = (p.stdout + p.stderr).decode(errors="replace").strip()
    if p.returncode != 0 or out:
        return "%s (status %d)" % (out, p.returncode)
    return None


def mandoc_warnings(path):
    """mandoc's warnings and errors about a page, as lines."""
    p = subprocess.run(["mandoc", "-Tlint", "-W", "warning", path],
                       capture_output=True, stdin=subprocess.DEVNULL,
                       timeout=harness.TIMEOUT)
    lines = (p.stdout + p.stderr).decode(errors="replace").splitlines()
    if p.returncode != 0 and not lines:
        lines = ["mandoc exited with status %d" % p.returncode]
    return lines


def without(text, pattern):
    """text with every match of the regular expression removed."""
    doctored = re.sub(pattern, "", text, flags=re.M)
    assert doctored != text, "the doctoring pattern %r matched nothing" % (
        pattern,)
    return doctored


class TestCase(unittest.TestCase):
    """A test whose checks return lists of problems, shown one per line."""

    def assertNoProblems(self, problems):
        if problems:
            self.fail("\n" + "\n".join(problems))


class HelpTest(TestCase):
    """--help and --version, the source the other files are checked against."""

    @classmethod
    def setUpClass(cls):
        status, cls.help, err = run_hotload("--help")
        if status != 0:
            raise AssertionError("hotload --help exited %d: %s" % (status,
                                                                   err))
        cls.options = help_options(cls.help)

    def test_help_lists_the_known_options(self):
        # A sanity check on the parser, so that the other tests cannot pass
        # by finding no options at all.
        longs = {opt.long for opt in self.options}
        for name in ("module", "run", "help", "version", "entrypoint"):
            self.assertIn(name, longs,
                          "--%s not found in --help:\n%s" % (name, self.help))
        self.assertIn(Option("m", "module", "NAME"), self.options)
        self.assertIn(Option(None, "no-clear", None), self.options)
        self.assertEqual(len(longs), len(self.options),
                         "an option is listed twice in --help")

    def test_help_parser_reads_a_new_option(self):
        text = self.help + "  -x, --xray WHAT        look through\n"
        self.assertIn(Option("x", "xray", "WHAT"), help_options(text))
        text = self.help + "      --xray=WHAT        look through\n"
        self.assertIn(Option(None, "xray", "WHAT"), help_options(text))

    def test_help_parser_reads_every_option_line(self):
        # An option the parser cannot read would escape every check here.
        self.assertNoProblems(["--help has a line that help_options cannot "
                               "read: %r" % line
                               for line in unread_help_lines(self.help)])

    def test_unread_option_line_is_found(self):
        line = "      --xray[=WHAT]      look through"
        self.assertEqual(unread_help_lines(self.help + line + "\n"), [line])

    def test_help_fits_80_columns(self):
        self.assertNoProblems(wide_lines(self.help))

    def test_wide_line_check_can_fail(self):
        self.assertEqual(len(wide_lines(self.help + "x" * 81 + "\n")), 1)

    def test_version_is_the_project_version(self):
        version = cmake_version(
            read(os.path.join(harness.SOURCE_DIR, "CMakeLists.txt")))
        self.assertIsNotNone(version,
                             "no project(hotload VERSION ...) in CMakeLists")
        status, out, err = run_hotload("--version")
        self.assertEqual(status, 0, err)
        self.assertEqual(out, "hotload %s\n" % version,
                         "hotload --version disagrees with CMakeLists.txt "
                         "(HOTLOAD_VERSION in src/hotload.h?)")

    def test_cmake_version_parser(self):
        self.assertEqual(cmake_version(
            'project(hotload VERSION 2.3.4 DESCRIPTION "x"\n LANGUAGES C)'),
            "2.3.4")
        self.assertEqual(cmake_version("project(hotload LANGUAGES C)"), None)


class ManPageTest(TestCase):
    """man/hotload.1 describes every option of --help, and no other."""

    @classmethod
    def setUpClass(cls):
        cls.options = help_options(run_hotload("--help")[1])
        cls.text = read(MAN)

    def test_every_option_is_described(self):
        problems = man_problems(self.options, self.text)
        self.assertNoProblems(problems)

    def test_missing_option_is_named(self):
        problems = man_problems(self.options,
                                without(self.text, r"^\.It Fl e .*\n"))
        self.assertTrue(any("--ext" in p for p in problems), problems)

    def test_missing_short_option_is_named(self):
        problems = man_problems(
            self.options,
            self.text.replace(".It Fl q , Fl -quiet", ".It Fl -quiet"))
        self.assertTrue(any(p.startswith("-q ") for p in problems), problems)

    def test_wrong_argument_is_named(self):
        problems = man_problems(
            self.options,
            self.text.replace("Fl -interval Ar MS", "Fl -interval Ar N"))
        self.assertTrue(any("--interval takes MS" in p for p in problems),
                        problems)

    def test_stale_option_is_named(self):
        problems = man_problems(self.options,
                                self.text + ".It Fl -frobnicate\n")
        self.assertTrue(any("--frobnicate" in p for p in problems), problems)

    def test_synopsis_names_every_option(self):
        self.assertNoProblems(synopsis_problems(self.options, self.text))

    def test_synopsis_parser(self):
        text = (".Sh SYNOPSIS\n.Nm\n.Op Fl 0a\n.Op Fl -xray Ar WHAT\n"
                ".Fl h | V\n.D1 Fl m Ar NAME Oo Fl -pre | -post Ar FUNC Oc\n"
                ".Op Fl -color Ns = Ns Ar WHEN\n.Op Ar FILE ...\n"
                ".Sh DESCRIPTION\n.Fl z\n")
        self.assertEqual(synopsis_options(text), {
            "-0": [[]], "-a": [[]], "--xray": [["WHAT"]], "-h": [[]],
            "-V": [[]], "-m": [["NAME"]], "--pre": [["FUNC"]],
            "--post": [["FUNC"]], "--color": [["WHEN"]]})

    def test_synopsis_check_names_a_new_option(self):
        # An option added to the table, and so to --help, but not to the
        # SYNOPSIS.
        problems = synopsis_problems(
            self.options + [Option("x", "xray", "WHAT")], self.text)
        self.assertEqual(problems, [
            "--xray is in --help but the SYNOPSIS of man/hotload.1 does not "
            "name it (as -x or --xray)"])

    def test_synopsis_check_names_a_missing_option(self):
        problems = synopsis_problems(self.options,
                                     without(self.text, r"^\.Op Fl -repl\n"))
        self.assertTrue(any(p.startswith("--repl ") for p in problems),
                        problems)
        # A letter of the flags that take no argument.
        problems = synopsis_problems(self.options, self.synopsis_sub(
            r"^(\.Op Fl [0-9A-Za-z]*)q", r"\1"))
        self.assertTrue(any(p.startswith("--quiet ") for p in problems),
                        problems)

    def test_synopsis_check_names_a_wrong_argument(self):
        problems = synopsis_problems(self.options, self.synopsis_sub(
            r"Fl -watcher Ar KIND", "Fl -watcher Ar HOW"))
        self.assertIn("--watcher takes KIND in --help but HOW in the "
                      "SYNOPSIS of man/hotload.1", problems)
        # An option that takes an argument, among those that do not.
        problems = synopsis_problems(self.options, self.synopsis_sub(
            r"^(\.Op Fl [0-9A-Za-z]*)$", r"\1e"))
        self.assertIn("-e takes EXT in --help but no argument in the "
                      "SYNOPSIS of man/hotload.1", problems)

    def test_synopsis_check_names_a_stale_option(self):
        problems = synopsis_problems(self.options, self.synopsis_sub(
            r"^\.Nm$", ".Nm\n.Op Fl -frobnicate"))
        self.assertIn("the SYNOPSIS of man/hotload.1 names --frobnicate, "
                      "which --help does not list", problems)

    def synopsis_sub(self, pattern, replacement):
        """The man page with the first match of pattern in its SYNOPSIS
        replaced."""
        section = man_section(self.text, "SYNOPSIS")
        doctored = re.sub(pattern, replacement, section, count=1, flags=re.M)
        self.assertNotEqual(doctored, section,
                            "%r matched nothing in the SYNOPSIS" % pattern)
        return self.text.replace(section, doctored)

    def test_exit_status_section(self):
        problems = exit_status_problems(self.text)
        self.assertNoProblems(problems)

    def test_exit_status_check_can_fail(self):
        doctored = self.text.replace("143", "14 3")
        self.assertEqual(exit_status_problems(doctored),
                         ["EXIT STATUS does not mention 143"])
        doctored = without(self.text, r"^\.It 2\n")
        self.assertEqual(exit_status_problems(doctored),
                         ["EXIT STATUS has no '.It 2' entry"])

    @unittest.skipUnless(shutil.which("mandoc"), "mandoc is not installed")
    def test_mandoc_lint(self):
        self.assertNoProblems(mandoc_warnings(MAN))

    @unittest.skipUnless(shutil.which("mandoc"), "mandoc is not installed")
    def test_mandoc_lint_can_fail(self):
        with tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "bad.1")
            with open(bad, "w") as f:
                f.write(self.text.replace(".Bl -tag -width Ds", ".Bl -tag"))
            self.assertNotEqual(mandoc_warnings(bad), [])


class CompletionTest(TestCase):
    """Each completion file offers every option of --help, and no other."""

    @classmethod
    def setUpClass(cls):
        cls.options = help_options(run_hotload("--help")[1])
        cls.texts = {shell: read(path) for shell, path in COMPLETIONS.items()}

    def check(self, shell):
        problems = completion_problems(shell, self.options, self.texts[shell])
        self.assertNoProblems(problems)

    def test_bash_offers_every_option(self):
        self.check("bash")

    def test_zsh_offers_every_option(self):
        self.check("zsh")

    def test_fish_offers_every_option(self):
        self.check("fish")

    # Each doctored file lacks one option, or no longer says it takes an
    # argument; the checker must name it.
    DOCTORED = [
        ("bash", r"(?<![\w-])--ext(?![\w-])", "--ext is in --help"),
        ("bash", r"(?<![\w-])-0(?![\w-])", "-0 is in --help"),
        ("bash", r"^\s*-e \| --ext\)\s*$", "--ext takes EXT"),
        ("zsh", r"^.*--no-clear\[.*\n", "--no-clear is in --help"),
        ("zsh", r"(?<=-i)\+", "-i takes MS"),
        ("fish", r"^complete .* -l null .*\n", "--null is in --help"),
        ("fish", r"(?<=-l interval) -x", "--interval takes MS"),
    ]

    def test_checker_names_what_is_missing(self):
        for shell, pattern, expect in self.DOCTORED:
            with self.subTest(shell=shell, pattern=pattern):
                problems = completion_problems(
                    shell, self.options, without(self.texts[shell], pattern))
                self.assertTrue(any(p.startswith(expect) for p in problems),
                                "%r not reported; got %s" % (expect,
                                                             problems))

    def test_checker_names_a_stale_option(self):
        extra = {
            "bash": ('opts="', 'opts="--frobnicate '),
            "zsh": ("_arguments -s -S \\",
                    "_arguments -s -S \\\n    '--frobnicate[x]' \\"),
            "fish": ("\ncomplete ",
                     "\ncomplete -c hotload -l frobnicate\ncomplete "),
        }
        for shell, (old, new) in extra.items():
            with self.subTest(shell=shell):
                self.assertIn(old, self.texts[shell])
                doctored = self.texts[shell].replace(old, new, 1)
                problems = completion_problems(shell, self.options, doctored)
                self.assertTrue(any("--frobnicate" in p for p in problems),
                                problems)

    def test_syntax(self):
        for shell, path in COMPLETIONS.items():
            with self.subTest(shell=shell):
                if not shutil.which(shell):
                    self.skipTest("%s is not installed" % shell)
                self.assertIsNone(syntax_error(shell, path))

    def test_syntax_check_can_fail(self):
        with tempfile.TemporaryDirectory() as d:
            for shell in COMPLETIONS:
                with self.subTest(shell=shell):
                    if not shutil.which(shell):
                        self.skipTest("%s is not installed" % shell)
                    bad = os.path.join(d, "bad." + shell)
                    with open(bad, "w") as f:
                        f.write(self.texts[shell] + "\nif true\n")
                    self.assertIsNotNone(syntax_error(shell, bad))

    def shell_env(self, home):
        env = harness.clean_env(HOME=home, XDG_CONFIG_HOME=home,
                                XDG_DATA_HOME=home, XDG_CACHE_HOME=home)
        env.pop("BASH_ENV", None)
        return env

    def test_bash_completes_options_and_modules(self):
        if not shutil.which("bash"):
            self.skipTest("bash is not installed")
        script = (
            'source "$1"\n'
            'complete_words() {\n'
            '  COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); COMPREPLY=()\n'
            '  _hotload hotload "${COMP_WORDS[COMP_CWORD]}" '
            '"${COMP_WORDS[COMP_CWORD-1]}"\n'
            '  printf "%s\\n" "${COMPREPLY[@]}"; echo ==\n'
            '}\n'
            'complete_words hotload -\n'
            'complete_words hotload --module ""\n')
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "lib.py"), "w").close()
            p = subprocess.run(
                ["bash", "--norc", "--noprofile", "-c", script, "bash",
                 COMPLETIONS["bash"]], cwd=d, env=self.shell_env(d),
                capture_output=True, stdin=subprocess.DEVNULL,
                timeout=harness.TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        options, modules, _ = p.stdout.decode().split("==\n")
        want = {n for opt in self.options for n in spellings(opt)}
        self.assertEqual(set(options.split()), want,
                         "what bash completes after 'hotload -'")
        self.assertEqual(modules.split(), ["lib"],
                         "what bash completes after 'hotload --module '")

    def test_fish_completes_options_and_modules(self):
        if not shutil.which("fish"):
            self.skipTest("fish is not installed")
        with tempfile.TemporaryDirectory() as d:
            open(os.path.join(d, "lib.py"), "w").close()
            script = ('source $argv[1]; complete -C "hotload -"; echo ==; '
                      'complete -C "hotload --module "')
            p = subprocess.run(
                ["fish", "--no-config", "-c", script, COMPLETIONS["fish"]],
                cwd=d, env=self.shell_env(d), capture_output=True,
                stdin=subprocess.DEVNULL, timeout=harness.TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        options, modules = p.stdout.decode().split("==\n")
        want = {n for opt in self.options for n in spellings(opt)}
        words = [line.split("\t")[0] for line in options.splitlines()]
        self.assertEqual(set(words), want,
                         "what fish completes after 'hotload -'")
        words = [line.split("\t")[0] for line in modules.splitlines()]
        self.assertEqual(words, ["lib"],
                         "what fish completes after 'hotload --module '")



# Modules in a project's directory, for completing function names: what
# each -m argument's hooks complete to.
PROJECT = {
    "lib.py": "import os\n\ndef main():\n    pass\n\n"
              "async def serve(port=8000):\n    pass\n\n"
              "class App:\n    def method(self):\n        pass\n\n"
              "def _setup(): pass\n",
    "pkg/__init__.py": "def init():\n    pass\n",
    "pkg/mod.py": "def run():\n    pass\ndef stop():\n    pass\n",
    "src/app.py": "def start():\n    pass\n",
}
HOOKS = [
    (["-m", "lib", "--post-hook"], {"main", "serve", "_setup"}),
    (["--module=lib", "-r", "true", "--pre-hook"],
     {"main", "serve", "_setup"}),
    (["-mpkg.mod", "--entrypoint"], {"run", "stop"}),
    (["-m", "pkg", "--post-hook"], {"init"}),
    (["-m", "src/app.py", "--post-hook"], {"start"}),
    (["-m", "lib", "-m", "pkg.mod", "--pre-hook"], {"run", "stop"}),
    (["-m", "nosuch", "--post-hook"], set()),
    (["--post-hook"], set()),
]


def make_project(d):
    for name, text in PROJECT.items():
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)


class HookCompletionTest(TestCase):
    """After --pre-hook, --post-hook and --entrypoint, the functions of the
    module of the -m before; after -m, the modules of the directory."""

    shell_env = CompletionTest.shell_env

    def test_bash_completes_the_module_s_functions(self):
        if not shutil.which("bash"):
            self.skipTest("bash is not installed")
        script = (
            'source "$1"; shift\n'
            'for line in "$@"; do\n'
            '  eval "COMP_WORDS=(hotload $line \\"\\")"\n'
            '  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=()\n'
            '  _hotload hotload "" "${COMP_WORDS[COMP_CWORD-1]}"\n'
            '  printf "%s\\n" "${COMPREPLY[@]}"; echo ==\n'
            'done\n')
        lines = [shlex.join(args) for args, _ in HOOKS] + ["-m"]
        with tempfile.TemporaryDirectory() as d:
            make_project(d)
            p = subprocess.run(
                ["bash", "--norc", "--noprofile", "-c", script, "bash",
                 COMPLETIONS["bash"]] + lines, cwd=d,
                env=self.shell_env(d), capture_output=True,
                stdin=subprocess.DEVNULL, timeout=harness.TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        got = p.stdout.decode().split("==\n")
        for (args, want), words in zip(HOOKS, got):
            self.assertEqual(set(words.split()), want, args)
        self.assertEqual(set(got[len(HOOKS)].split()), {"lib", "pkg"})

    def test_fish_completes_the_module_s_functions(self):
        if not shutil.which("fish"):
            self.skipTest("fish is not installed")
        script = ('source $argv[1]\n'
                  'for line in $argv[2..-1]\n'
                  '  complete -C "hotload $line "; echo ==\n'
                  'end\n')
        lines = [shlex.join(args) for args, _ in HOOKS] + ["-m"]
        with tempfile.TemporaryDirectory() as d:
            make_project(d)
            p = subprocess.run(
                ["fish", "--no-config", "-c", script, COMPLETIONS["fish"]] +
                lines, cwd=d, env=self.shell_env(d), capture_output=True,
                stdin=subprocess.DEVNULL, timeout=harness.TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        got = p.stdout.decode().split("==\n")
        for (args, want), words in zip(HOOKS, got):
            self.assertEqual({w.split("\t")[0] for w in words.splitlines()},
                             want, args)
        self.assertEqual({w.split("\t")[0] for w in
                          got[len(HOOKS)].splitlines()}, {"lib", "pkg"})

    def test_zsh_completes_the_module_s_functions(self):
        if not (shutil.which("zsh") and shutil.which("tmux")):
            self.skipTest("zsh and tmux are needed")
        cases = [(args, want) for args, want in HOOKS if len(want) > 1]
        cases += [(["-m"], {"lib", "pkg"})]
        with tempfile.TemporaryDirectory() as d:
            make_project(d)
            zsh = ZshPane(d)
            try:
                for args, want in cases:
                    with self.subTest(args=args):
                        self.assertEqual(zsh.complete(shlex.join(args)),
                                         want)
            finally:
                zsh.kill()


class ZshPane:
    """zsh with compinit and hotload's completion, in a tmux pane, where a
    line is typed and Tab pressed as a user would."""

    def __init__(self, d):
        self.socket = "hotload-zsh-%d" % os.getpid()
        self.env = harness.clean_env(HOME=d, TMUX_TMPDIR=d, ZDOTDIR=d)
        self.env.pop("TMUX", None)
        self.tmux("new-session", "-d", "-x", "200", "-y", "50", "-c", d,
                  "zsh -f")
        self.type("PS1='%% '; fpath=(" +
                  shlex.quote(os.path.dirname(COMPLETIONS["zsh"])) +
                  " $fpath); autoload -Uz compinit; compinit -u -D; "
                  "echo ready\n")
        self.wait(lambda s: "\nready\n" in s)

    def tmux(self, *args):
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null"] + list(args),
            env=self.env, capture_output=True, stdin=subprocess.DEVNULL,
            timeout=harness.TIMEOUT, check=True).stdout.decode()

    def type(self, text):
        for i, part in enumerate(text.split("\n")):
            if i:
                self.tmux("send-keys", "Enter")
            if part:
                self.tmux("send-keys", "-l", part)

    def screen(self):
        return self.tmux("capture-pane", "-p")

    def wait(self, predicate):
        return harness.wait_until(lambda: predicate(self.screen()),
                                  what=lambda: "zsh; the screen:\n" +
                                  self.screen())

    def complete(self, line):
        """The words zsh lists when Tab is pressed after "hotload line "."""
        self.tmux("send-keys", "C-u")
        self.tmux("send-keys", "clear", "Enter")
        self.wait(lambda s: s.strip() == "%")
        self.type("hotload %s " % line)
        self.tmux("send-keys", "Tab")  # more than one: they are listed

        def listed(s):
            below = s.strip().split("\n")[1:]
            return below and set(" ".join(below).split())
        words = self.wait(listed)
        self.tmux("send-keys", "C-c")
        return words

    def kill(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"],
                       env=self.env, capture_output=True,
                       stdin=subprocess.DEVNULL, timeout=harness.TIMEOUT)


if __name__ == "__main__":
    unittest.main()
