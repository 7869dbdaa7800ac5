"""What a DIR leaves out: git's ignore files, .ignore, --ignore, the
built-in rules, and files named on purpose, which are always watched.

A file counts as watched when saving it starts a round that names it in
"$@". A save that must start no round is followed by two saves of a
watched file, each waited for: had the first save been seen, it would
have been named by then.
"""

import os
import re
import shutil
import subprocess
import sys
import unittest

from harness import (BIN, MODULE_DIR, PYTHON, TIMEOUT, TestCase, clean_env,
                     wait_until, write)

# Each round prints a mark, then the files it was given, one per line.
CMD = 'echo "== round"; printf "<%s>\\n" "$@"'


def named(h):
    """The files the rounds so far were given, in order."""
    return [n for n in re.findall(r"^<(.*)>$", h.stdout(), re.M) if n]


def idle(h):
    """Wait for the rounds that have begun to print to end: a save made
    while a round runs may be taken for the round's own write. A round's
    mark comes before the files it names, so a round seen naming a file
    is counted here."""
    wait_until(lambda: len(h.rounds()) >= h.stdout().count("== round\n"),
               what=lambda: "the rounds to end; stderr:\n" + h.stderr())


def touch(path):
    """Save path again, with one more byte, as an editor would."""
    with open(path, "a") as f:
        f.write("#\n")


class Watching(TestCase):
    """Helpers: start hotload on a tree, save files, see what it named."""

    def make(self, files):
        for name in files:
            self.write(name, "")

    def start_on(self, *args, **kw):
        h = self.start("-r", CMD, *args, **kw)
        h.wait_out("== round\n")
        return h

    def settle(self, h, name, tree=None):
        """Save the watched file name (in tree, or the test's directory)
        twice, each time waiting for the round that names it."""
        for _ in range(2):
            idle(h)
            seen = named(h).count(name)
            touch(os.path.join(tree or self.dir, name))
            wait_until(lambda: named(h).count(name) > seen,
                       what=lambda: "a round naming %s; stdout:\n%s\n"
                       "stderr:\n%s" % (name, h.stdout(), h.stderr()))

    def assertStartsNoRound(self, h, names, sentinel="a.py"):
        """Save each of names (or make it, if new); none starts a round."""
        idle(h)
        mark = len(named(h))
        for name in names:
            path = self.path(name)
            if os.path.exists(path):
                touch(path)
            else:
                self.write(name, "new\n")
        self.settle(h, sentinel)
        self.assertEqual(set(named(h)[mark:]), {sentinel},
                         "stdout:\n%s\nstderr:\n%s" % (h.stdout(),
                                                       h.stderr()))

    def assertStartsRound(self, h, name):
        """Save name (or make it); a round names it."""
        idle(h)
        path = self.path(name)
        if os.path.exists(path):
            touch(path)
        else:
            self.write(name, "new\n")
        wait_until(lambda: name in named(h),
                   what=lambda: "a round naming %s; stdout:\n%s\nstderr:\n"
                   "%s" % (name, h.stdout(), h.stderr()))


class IgnoredDirectories(Watching):
    def setUp(self):
        super().setUp()
        os.mkdir(self.path(".git"))  # a work tree, as far as hotload asks
        self.write(".gitignore", "build/\n*.log\n!keep.log\n")
        self.make(["a.py", "build/b.py", "build/deep/c.py", "other.log",
                   "keep.log", "node_modules/pkg/m.py", "venv/lib/v.py",
                   "src/s.py", "x.pyc", "notes.txt~", "x.py.swp"])
        self.write("venv/pyvenv.cfg", "home = /usr/bin\n")

    def test_files_in_ignored_directories_start_no_round(self):
        h = self.start_on(".")
        self.assertStartsNoRound(h, [
            "build/b.py", "build/deep/c.py", "node_modules/pkg/m.py",
            "venv/lib/v.py", "other.log", "x.pyc", "notes.txt~",
            "x.py.swp"])

    def test_a_watched_file_starts_a_round(self):
        h = self.start_on(".")
        self.assertStartsRound(h, "src/s.py")

    def test_negation_keeps_a_file(self):
        h = self.start_on(".")
        self.assertStartsRound(h, "keep.log")

    def test_new_file_in_an_ignored_directory_starts_no_round(self):
        h = self.start_on(".")
        self.assertStartsNoRound(h, ["build/new.py", "build/new/deeper.py",
                                     "node_modules/new/n.py",
                                     "new.log"])

    def test_new_file_in_a_watched_directory_starts_a_round(self):
        h = self.start_on(".")
        self.assertStartsRound(h, "src/new.py")
        self.assertStartsRound(h, "src/newdir/n.py")

    def test_new_directory_that_is_ignored_starts_no_round(self):
        h = self.start_on(".")
        self.assertStartsNoRound(h, ["src/build/b.py",
                                     "src/node_modules/n.py"])

    def test_file_named_on_the_command_line_is_watched(self):
        h = self.start_on(".", "build/b.py", "other.log", "x.pyc")
        self.assertStartsRound(h, "build/b.py")
        self.assertStartsRound(h, "other.log")
        self.assertStartsRound(h, "x.pyc")
        # Its directory is watched for it, not walked.
        self.assertStartsNoRound(h, ["build/deep/c.py", "build/new.py"])

    def test_directory_named_on_the_command_line_is_walked(self):
        h = self.start_on(".", "build")
        self.assertStartsRound(h, "build/deep/c.py")
        self.assertStartsRound(h, "build/new.py")
        # Inside it the rules still hold.
        self.assertStartsNoRound(h, ["build/x.log"], sentinel="build/b.py")

    def test_file_named_on_stdin_is_watched(self):
        h = self.start("-r", CMD, stdin="a.py\nbuild/b.py\n")
        h.wait_out("== round\n")
        self.assertStartsRound(h, "build/b.py")

    def test_ignore_option_adds_patterns(self):
        h = self.start_on("--ignore", "src/", "--ignore", "*.py",
                          "--ignore", "!a.py", ".")
        self.assertStartsNoRound(h, ["src/s.py", "src/new.py", "z.py"])

    def test_no_ignore_keeps_only_the_hidden_rule(self):
        self.make([".hidden/h.py", "__pycache__/p.py", ".h.py"])
        h = self.start_on("--no-ignore", ".")
        for name in ("build/deep/c.py", "other.log", "node_modules/pkg/m.py",
                     "venv/lib/v.py", "x.pyc", "notes.txt~"):
            self.assertStartsRound(h, name)
        before = set(named(h))
        self.settle(h, "a.py")
        touch(self.path(".hidden/h.py"))
        touch(self.path("__pycache__/p.py"))
        touch(self.path(".h.py"))
        self.settle(h, "a.py")
        self.assertEqual(set(named(h)), before | {"a.py"})

    def test_no_ignore_still_takes_ignore_patterns(self):
        h = self.start_on("--no-ignore", "--ignore", "build/", ".")
        self.assertStartsRound(h, "other.log")
        self.assertStartsNoRound(h, ["build/b.py"], sentinel="other.log")

    def test_verbose_says_what_was_left_out_and_by_which_file(self):
        h = self.start_on("-v", ".")
        h.wait_err("hotload: left out 1 file and 1 directory (.gitignore)\n")
        h.wait_err("hotload: left out 3 files and 2 directories "
                   "(built-in rules)\n")

    def test_verbose_names_rules_files_from_the_current_directory(self):
        self.write("src/.gitignore", "s.py\n")
        h = self.start_on("-v", "..", cwd=self.path("src"))
        h.wait_err("hotload: left out 1 file and 1 directory "
                   "(../.gitignore)\n")
        h.wait_err("hotload: left out 1 file (.gitignore)\n")

    def test_bad_ignore_pattern_is_a_usage_error(self):
        for glob in ("", "#x", "!", "/"):
            status, out, err = self.run_hotload("--ignore", glob, "-r",
                                                "true", ".")
            self.assertEqual(status, 2, err)
            self.assertIn("--ignore '%s': give a pattern" % glob, err)


class VirtualEnvironmentMadeLater(Watching):
    def test_files_of_a_venv_made_while_watching_start_no_round(self):
        self.make(["a.py"])
        h = self.start_on(".")
        # As python -m venv does: the directories, then pyvenv.cfg.
        os.makedirs(self.path("env/lib/site-packages"))
        self.settle(h, "a.py")
        self.write("env/pyvenv.cfg", "home = /usr/bin\n")
        self.settle(h, "a.py")
        self.assertStartsNoRound(h, ["env/lib/site-packages/pkg/mod.py",
                                     "env/lib/site-packages/new.py"])


class OutsideGit(Watching):
    def test_gitignore_needs_a_work_tree_but_ignore_does_not(self):
        self.write(".gitignore", "*.log\n")
        self.write(".ignore", "*.out\n")
        self.make(["a.py", "x.log", "x.out"])
        h = self.start_on(".")
        self.assertStartsRound(h, "x.log")
        self.assertStartsNoRound(h, ["x.out"], sentinel="x.log")


# The corpus: ignore files at several depths, and the files they judge.
# Each pattern is there for a feature of gitignore(5); comments name it.
ROOT_GITIGNORE = r"""
# a comment line, and blank lines, match nothing
#hash-comment

*.log
!keep.log
build/
/dist
doc/*.md
gen/**
!gen/keep.py
out/
!out/x.py
**/cache/*.db
a/**/z.py
**/logs
**/foo/bar
src/**/*.gen
vendor/*
!vendor/keep/
abc/
/*.cfg2
trail.txt{spaces}
space\ {space}
\#hash.py
\!bang.py
[0-9][[:digit:]].py
?.q
[Tt]emp*
*.[oa]
[!a-c]*.bak
[^x]y.cfg
[[:upper:]]*.up
[]]x.br
tmp-*.py
!tmp-keep.py
tmp-keep.py
*.tx2
!keep.glob
lit\*.star
q?[rs]/deep/
*/mid/*.m
**/two/**/end.e
""".lstrip("\n").format(spaces="   ", space=" ")

SRC_GITIGNORE = r"""
!important.log
/local.txt
*.tmp
top.txt
generated/
!*.cfg2
""".lstrip("\n")

DEEP_GITIGNORE = r"""
*.txt
!top.txt
!*.tx2
/anchored.py
""".lstrip("\n")

INFO_EXCLUDE = "*.ex\n/excluded-dir/\n"
GLOBAL_IGNORE = "*.glob\nglobal-dir/\n"

CORPUS_FILES = """
a.py b.log keep.log c.txt top.txt trail.txt trail.txt2 space_ #hash.py
!bang.py 42.py 4x.py a.q ab.q Temp1.py temp2.py xtemp.py lib.o lib.a lib.c
d.bak a.bak ay.cfg xy.cfg Abc.up abc.up ]x.br tmp-one.py tmp-keep.py
x.tx2 x.cfg2 x.ex x.glob keep.glob lit*.star litx.star #hash-comment abc
build/x.py build/sub/y.py dist/d.py doc/a.md doc/x/a.md gen/a.py
gen/keep.py gen/x/y.py out/x.py out/y.py cache/a.db a/z.py a/b/z.py
a/b/c/z.py b/a/z.py logs/l.py foo/bar vendor/a.py vendor/keep/k.py
qar/deep/d.py qbs/deep/d.py qct/deep/d.py x/mid/y.m x/y/mid/z.m
two/end.e two/x/end.e p/two/x/y/end.e excluded-dir/e.py
global-dir/g.py
src/a.py src/build src/dist/d.py src/cache/b.db src/cache/x/c.db
src/logs/l.py src/foo/bar src/abc/a.py src/a.gen src/x/y/b.gen
src/important.log src/other.log src/local.txt src/x.tmp src/top.txt
src/generated/g.py src/x.cfg2 src/excluded-dir/e.py src/doc/a.md
src/deep/top.txt src/deep/other.txt src/deep/x.tx2 src/deep/local.txt
src/deep/anchored.py src/deep/more/anchored.py src/deep/more/x.txt
src/deep/more/x.tx2 zz-sentinel.py
""".split() + ["space ", "space"]


@unittest.skipUnless(shutil.which("git"), "git is not installed")
class SameAsGit(Watching):
    """hotload watches exactly the files git does not ignore."""

    def git_env(self, home):
        env = clean_env(HOME=home, GIT_CONFIG_NOSYSTEM="1")
        env.pop("XDG_CONFIG_HOME", None)
        for name in list(env):
            if name.startswith("GIT_") and name != "GIT_CONFIG_NOSYSTEM":
                del env[name]
        return env

    def git(self, env, cwd, *args):
        return subprocess.run(
            ["git"] + list(args), cwd=cwd, env=env, check=True,
            stdin=subprocess.DEVNULL, capture_output=True,
            timeout=TIMEOUT).stdout.decode()

    def git_split(self, env, cwd):
        """The untracked files git keeps and the ones it ignores."""
        kept = self.git(env, cwd, "ls-files", "-z", "--others",
                        "--exclude-standard").split("\0")
        ignored = self.git(env, cwd, "ls-files", "-z", "--others",
                           "--ignored", "--exclude-standard").split("\0")
        return set(filter(None, kept)), set(filter(None, ignored))

    def compare(self, env, tree, files, sentinel="zz-sentinel.py"):
        kept, ignored = self.git_split(env, tree)
        # The ignore files themselves, hidden, are hotload's to leave out.
        hidden = {f for f in kept if any(part.startswith(".")
                                         for part in f.split("/"))}
        self.assertEqual(kept | ignored, set(files) | hidden,
                         "git lists other files than the tree has")
        self.assertIn(sentinel, kept)
        self.assertTrue(len(kept - hidden) >= 10 and len(ignored) >= 10,
                        (kept, ignored))
        h = self.start("-p", "-r", CMD, ".", cwd=tree, env=env)
        h.wait_err("the first round runs at the first change")
        for name in files:
            touch(os.path.join(tree, name))
        wait_until(lambda: set(named(h)) >= kept - hidden,
                   what=lambda: "rounds naming every file git keeps; "
                   "missing: %s\nstderr:\n%s" % (
                       sorted(kept - hidden - set(named(h))), h.stderr()))
        self.settle(h, sentinel, tree)
        self.assertEqual(sorted(set(named(h)) - (kept - hidden)), [],
                         "hotload watches files that git ignores")
        return h

    def make_home(self):
        home = self.path("home")
        os.makedirs(home)
        write(os.path.join(home, ".gitconfig"),
              "[user]\n\tname = t\n\temail = t@example.com\n"
              "[core]\n\texcludesFile = ~/global-ignore\n")
        write(os.path.join(home, "global-ignore"), GLOBAL_IGNORE)
        return self.git_env(home)

    def corpus_repo(self):
        """A home with git's settings, and a repository holding the corpus:
        (the environment to run git in, the repository's top)."""
        env = self.make_home()
        tree = self.path("repo")
        os.makedirs(tree)
        self.git(env, tree, "init", "-q")
        write(os.path.join(tree, ".git/info/exclude"), INFO_EXCLUDE)
        self.fill(tree)
        return env, tree

    def fill(self, tree):
        for name in CORPUS_FILES:
            path = os.path.join(tree, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            write(path, "")
        write(os.path.join(tree, ".gitignore"), ROOT_GITIGNORE)
        write(os.path.join(tree, "src/.gitignore"), SRC_GITIGNORE)
        write(os.path.join(tree, "src/deep/.gitignore"), DEEP_GITIGNORE)

    def test_the_corpus_has_enough_patterns(self):
        lines = [line for text in (ROOT_GITIGNORE, SRC_GITIGNORE,
                                   DEEP_GITIGNORE, INFO_EXCLUDE,
                                   GLOBAL_IGNORE)
                 for line in text.splitlines()
                 if line.strip() and not line.startswith("#")]
        self.assertGreaterEqual(len(lines), 40)

    def test_watched_files_are_the_ones_git_does_not_ignore(self):
        env, tree = self.corpus_repo()
        h = self.compare(env, tree, CORPUS_FILES)
        self.assertNotIn("Traceback", h.stderr())

    def test_from_a_subdirectory(self):
        env, tree = self.corpus_repo()
        src = os.path.join(tree, "src")
        files = [f[len("src/"):] for f in CORPUS_FILES
                 if f.startswith("src/")] + ["zz-sentinel.py"]
        write(os.path.join(src, "zz-sentinel.py"), "")
        self.compare(env, src, files)

    def test_in_a_linked_worktree(self):
        env = self.make_home()
        main = self.path("main")
        os.makedirs(main)
        self.git(env, main, "init", "-q")
        write(os.path.join(main, "README"), "")
        self.git(env, main, "add", "README")
        self.git(env, main, "commit", "-q", "-m", "start")
        write(os.path.join(main, ".git/info/exclude"), INFO_EXCLUDE)
        tree = self.path("wt")
        self.git(env, main, "worktree", "add", "-q", tree)
        self.assertTrue(os.path.isfile(os.path.join(tree, ".git")))
        os.unlink(os.path.join(tree, "README"))
        self.fill(tree)
        self.compare(env, tree, CORPUS_FILES)


class CurrentDirectoryRemoved(TestCase):
    def test_program_says_so_and_exits(self):
        gone = self.path("gone")
        p = subprocess.run(
            ["sh", "-c", 'mkdir "$1" && cd "$1" && rmdir "$1" && '
             'exec "$2" -r true x.py', "sh", gone, BIN],
            env=clean_env(), stdin=subprocess.DEVNULL, capture_output=True,
            timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1, p.stderr)
        self.assertIn(b"hotload: cannot find the current directory: No such "
                      b"file or directory", p.stderr)

    def test_python_api_raises_and_python_goes_on(self):
        script = (
            "import os, sys, hotload\n"
            "os.mkdir(sys.argv[1]); os.chdir(sys.argv[1]); "
            "os.rmdir(sys.argv[1])\n"
            "try:\n"
            "    hotload.hotload(watch=['x.py'], steps=[])\n"
            "except OSError as e:\n"
            "    print('raised', e.errno == 2)\n"
            "print('still here')\n")
        p = subprocess.run(
            [PYTHON, "-c", script, self.path("gone")],
            env=clean_env(PYTHONPATH=MODULE_DIR), stdin=subprocess.DEVNULL,
            capture_output=True, timeout=TIMEOUT)
        self.assertEqual(p.stdout.decode(), "raised True\nstill here\n",
                         p.stderr.decode())
        self.assertEqual(p.returncode, 0)


if __name__ == "__main__":
    unittest.main()
