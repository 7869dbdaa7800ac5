"""-R: the modules a --module imports are reloaded when their files change,
dependencies before the modules that import them.

Each module says "loading NAME" when its code runs, so stdout shows which
modules a round reloaded and in what order; lib ends its output with
"end N" (N = hotload.reloads), so a test knows the round's output is all
there before it looks. A test finds the round that shows a save by what it
prints, not by its number: on a busy machine a save in place can give two
rounds, the first of them seeing the file still empty.
"""

import re

from harness import TestCase, clean_env, wait_until, write

BASE = "print('loading base')\ndef f():\n    return 'f%d'\n"
MID = ("print('loading mid')\nfrom base import f\n"
       "def g():\n    return 'g' + f()%s\n")
LIB = ("import hotload\n"
       "print('loading lib')\n"
       "VERSION = 1\n"
       "import mid\n"
       "import base\n"
       "from base import f\n"
       "print('base.f', base.f())\n"
       "print('from base import f', f())\n"
       "print('mid.g', mid.g())\n"
       "print('lib version', VERSION)\n"
       "print('end', hotload.reloads)\n")


def env(recursive=None):
    """A user's environment, with HOTLOAD_RECURSIVE only if asked for."""
    e = clean_env()
    e.pop("HOTLOAD_RECURSIVE", None)
    if recursive is not None:
        e["HOTLOAD_RECURSIVE"] = recursive
    return e


def round_output(out, n):
    """The lines of the round in which lib printed "end n": those after
    the "end" line before it, up to "end n"."""
    lines = out.split("\n")
    stop = lines.index("end %d" % n)
    start = stop
    while start > 0 and not lines[start - 1].startswith("end "):
        start -= 1
    return lines[start:stop + 1]


def wait_round_with(h, text):
    """Wait for text on stdout and for the end of the round that printed
    it; return that round's hotload.reloads."""
    h.wait_out(text)
    at = h.stdout().index(text)
    found = wait_until_match(h, re.compile(r"^end (\d+)$", re.M), at)
    h.wait_rounds(found + 1)
    return found


def wait_round(h, text):
    """(stdout, n) once the round that printed text has ended, n being its
    hotload.reloads: round_output's arguments."""
    n = wait_round_with(h, text)
    return h.stdout(), n


def outcome(h, reloads):
    """How the round with hotload.reloads == reloads went: ok or failed."""
    return dict(h.wait_rounds(reloads + 1))[reloads + 1]


def wait_until_match(h, pattern, at):
    box = []

    def seen():
        m = pattern.search(h.stdout(), at)
        if m:
            box.append(int(m.group(1)))
        return m
    wait_until(seen, what=lambda: "%s after %r" % (pattern.pattern,
                                                   h.stdout()))
    return box[-1]


def burst_in_one_round(test, h, save, expect, prepare=None, whole=None):
    """Call save(attempt), which saves two files at once, until the burst
    gives one round (a busy machine may split it in two); return that
    round's hotload.reloads. expect(attempt) is what the round prints;
    whole(lines), if given, says whether the round's lines show both
    saves; prepare(attempt), if given, is called first, and its round
    waited for."""
    for attempt in range(1, 6):
        if prepare is not None:
            prepare(attempt)
        before = len(h.wait_rounds(1))
        save(attempt)
        reloads = wait_round_with(h, expect(attempt))
        if reloads > before:
            continue  # the second of two rounds printed it
        if whole is None or whole(round_output(h.stdout(), reloads)):
            return reloads
        h.wait_rounds(before + 2)  # the second of two rounds
    test.fail("five bursts of two saves each gave two rounds:\n" +
              h.stderr())


class Chain(TestCase):
    """lib imports mid, mid takes f from base, lib imports base as well."""

    def setUp(self):
        super().setUp()
        self.base = self.write("base.py", BASE % 1)
        self.mid = self.write("mid.py", MID % "")
        self.lib = self.write("lib.py", LIB)

    def start_lib(self, *options, files=("lib.py", "mid.py", "base.py"),
                  environ=None):
        h = self.start(*options, "-m", "lib", *files,
                       env=environ if environ is not None else env())
        h.wait_out("end 0\n")
        self.assertEqual(round_output(h.stdout(), 0), [
            "loading lib", "loading mid", "loading base",
            "base.f f1", "from base import f f1", "mid.g gf1",
            "lib version 1", "end 0"])
        h.wait_rounds(1)
        return h

    def test_edit_two_levels_down_shows_in_the_next_round(self):
        h = self.start_lib("-R")
        write(self.base, BASE % 2)
        n = wait_round_with(h, "base.f f2\n")
        out = round_output(h.stdout(), n)
        self.assertEqual(out[:3], ["loading base", "loading mid",
                                   "loading lib"], out)
        self.assertIn("from base import f f2", out)
        self.assertEqual(outcome(h, n), "ok")
        # mid takes the new f when its file changes too (or is saved).
        write(self.mid, MID % " + '!'")
        out = round_output(*wait_round(h, "mid.g gf2!\n"))
        self.assertEqual(out[:2], ["loading mid", "loading lib"], out)
        self.assertIn("base.f f2", out)

    def test_watched_importer_of_a_changed_module_runs_again(self):
        # mid took f from base (from base import f): it runs again after
        # base, so that it takes the new one, though its file is the same.
        h = self.start_lib("-R")
        write(self.base, BASE % 2)
        out = round_output(*wait_round(h, "base.f f2\n"))
        self.assertEqual(out[:3], ["loading base", "loading mid",
                                   "loading lib"], out)
        self.assertIn("mid.g gf2", out)

    def test_a_value_copied_from_a_changed_module_is_copied_again(self):
        # models does from helpers import RATE; app imports models. A new
        # RATE in helpers reaches models.RATE in the same round.
        self.write("helpers.py", "RATE = 1\n")
        self.write("models.py", "from helpers import RATE\n")
        self.write("app.py", "import models\nprint('rate', models.RATE)\n")
        h = self.start("-R", "-m", "app", "app.py", "models.py",
                       "helpers.py", env=env())
        h.wait_out("rate 1\n")
        h.wait_rounds(1)
        write(self.path("helpers.py"), "RATE = 2\n")
        h.wait_out("rate 2\n")
        self.assertEqual(h.wait_rounds(2)[-1], (2, "ok"))

    def test_without_recursive_the_dependency_keeps_its_old_code(self):
        h = self.start_lib()
        write(self.base, BASE % 2)
        h.wait_out("end 1\n")
        out = round_output(h.stdout(), 1)
        self.assertEqual(out, ["loading lib", "base.f f1",
                               "from base import f f1", "mid.g gf1",
                               "lib version 1", "end 1"])
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))

    def test_hotload_recursive_in_the_environment_is_the_same_as_r(self):
        for value in ("HOTLOAD_RECURSIVE", "1", "true", "YES"):
            with self.subTest(value):
                write(self.base, BASE % 1)
                h = self.start_lib(environ=env(value))
                write(self.base, BASE % 2)
                out = round_output(*wait_round(h, "base.f f2\n"))
                self.assertEqual(out[:3], ["loading base", "loading mid",
                                           "loading lib"])
                self.assertIn("from base import f f2", out)
                h.kill()

    def test_other_values_of_hotload_recursive_do_not_turn_it_on(self):
        h = self.start_lib(environ=env("maybe"))
        write(self.base, BASE % 2)
        h.wait_out("end 1\n")
        self.assertIn("base.f f1", round_output(h.stdout(), 1))
        h.wait_rounds(2)
        self.assertEqual(h.stderr().count(
            "HOTLOAD_RECURSIVE=maybe is not understood, and left off"), 1)

    def test_module_whose_file_is_not_watched_is_never_reloaded(self):
        h = self.start_lib("-R", files=("lib.py", "mid.py"))
        write(self.base, BASE % 2)  # no round: base.py is not watched
        write(self.lib, LIB.replace("VERSION = 1", "VERSION = 2"))
        reloads = wait_round_with(h, "lib version 2\n")
        self.assertEqual(round_output(h.stdout(), reloads), [
            "loading lib", "base.f f1", "from base import f f1", "mid.g gf1",
            "lib version 2", "end %d" % reloads])
        self.assertEqual(outcome(h, reloads), "ok")

    def test_dependencies_are_reloaded_before_the_modules_importing_them(self):
        h = self.start_lib("-R")

        def prepare(attempt):
            # A reload puts base last in sys.modules, after mid: reloading
            # in the order of sys.modules would now take mid first.
            write(self.base, BASE % (10 * attempt))
            wait_round_with(h, "base.f f%d\n" % (10 * attempt))

        def save(attempt):
            # base first: if the machine is so slow that the burst gives
            # two rounds, they come in the right order anyway.
            write(self.base, BASE % (10 * attempt + 1))
            write(self.mid, MID % (" + '!'"))
        reloads = burst_in_one_round(
            self, h, save, lambda a: "base.f f%d\n" % (10 * a + 1), prepare,
            whole=lambda lines: "loading mid" in lines)
        out = round_output(h.stdout(), reloads)
        self.assertEqual(out[:3], ["loading base", "loading mid",
                                   "loading lib"], h.stdout())
        # mid took f from the new base, not from the one it replaced.
        value = [line for line in out if line.startswith("base.f ")][0]
        self.assertIn("mid.g g%s!" % value[len("base.f "):], out)

    def test_syntax_error_in_a_dependency_fails_the_round_then_recovers(self):
        h = self.start_lib("-R")
        write(self.base, "print('loading base')\ndef f(:\n    return 1\n")
        self.assertEqual(h.status_after("SyntaxError: "), "failed")
        self.assertIn('base.py", line 2', h.stderr())
        self.assertIn("lib SyntaxError", h.stderr())
        write(self.base, BASE % 3)
        n = wait_round_with(h, "base.f f3\n")
        self.assertIn("from base import f f3", round_output(h.stdout(), n))
        self.assertEqual(outcome(h, n), "ok")


class Package(TestCase):
    def test_edit_to_a_module_in_a_package(self):
        self.write("pkg/__init__.py", "print('loading pkg')\n")
        util = self.write("pkg/util.py",
                          "print('loading pkg.util')\n"
                          "def h():\n    return 'h1'\n")
        self.write("lib.py", "import hotload\nfrom pkg.util import h\n"
                   "print('h', h())\nprint('end', hotload.reloads)\n")
        h = self.start("-R", "-m", "lib", "lib.py", "pkg", env=env())
        h.wait_out("end 0\n")
        h.wait_rounds(1)
        write(util, "print('loading pkg.util')\ndef h():\n    return 'h2'\n")
        reloads = wait_round_with(h, "h h2\n")
        self.assertEqual(round_output(h.stdout(), reloads),
                         ["loading pkg.util", "h h2", "end %d" % reloads])
        self.assertEqual(outcome(h, reloads), "ok")

    def test_package_is_reloaded_before_its_module(self):
        package = "print('loading pkg')\nMARK = %d\n"
        init = self.write("pkg/__init__.py", package % 0)
        util = self.write("pkg/util.py",
                          "print('loading pkg.util')\n"
                          "def h():\n    return 'h1'\n")
        self.write("lib.py", "import hotload, pkg\nfrom pkg.util import h\n"
                   "print('h', h(), pkg.MARK)\n"
                   "print('end', hotload.reloads)\n")
        h = self.start("-R", "-m", "lib", "lib.py", "pkg", env=env())
        h.wait_out("end 0\n")

        def prepare(attempt):
            # A reload of pkg alone puts it after pkg.util in sys.modules.
            write(init, package % (10 * attempt))
            wait_round_with(h, "h h%d %d\n" % (attempt, 10 * attempt))

        def save(attempt):
            write(init, package % (10 * attempt + 1))
            write(util, "print('loading pkg.util')\n"
                  "def h():\n    return 'h%d'\n" % (attempt + 1))
        reloads = burst_in_one_round(
            self, h, save, lambda a: "h h%d %d\n" % (a + 1, 10 * a + 1),
            prepare)
        self.assertEqual(round_output(h.stdout(), reloads)[:2],
                         ["loading pkg", "loading pkg.util"], h.stdout())
