# diagnose.py: the place of an error for --events, the suggestion for a
# misspelt hook, and the hint for a main() that only runs as a script.
import contextlib
import importlib
import io
import json
import sys

from support import TestCase, hotload

diagnose = hotload.diagnose


def raised(call):
    """The exception call() raises."""
    try:
        call()
    except BaseException as e:
        return e
    raise AssertionError("%r raised nothing" % call)


class ErrorPlace(TestCase):
    def test_the_innermost_frame_that_is_not_the_import_system_s(self):
        path = self.write("lib.py", "def f():\n"
                          "    raise ValueError('no %s' % 'good')\n"
                          "f()\n")
        e = raised(lambda: importlib.import_module("lib"))
        self.assertEqual(diagnose._error_place(e),
                         ("ValueError", "no good", path, 2))

    def test_a_watched_file_comes_before_the_library(self):
        path = self.write("lib.py", "import json\n"
                          "def parse():\n"
                          "    return json.loads('{')\n")
        lib = importlib.import_module("lib")
        e = raised(lib.parse)
        name, message, file, line = diagnose._error_place(e)
        self.assertEqual(name, "json.decoder.JSONDecodeError")
        self.assertNotEqual(file, path)  # json's own, when nothing is watched
        hotload._is_watched = lambda p: p == path
        self.assertEqual(diagnose._error_place(e)[2:], (path, 3))

    def test_a_syntax_error_is_placed_at_the_bad_line(self):
        path = self.write("lib.py", "x = 1\nif x\n")
        e = raised(lambda: importlib.import_module("lib"))
        name, message, file, line = diagnose._error_place(e)
        self.assertEqual((name, file, line), ("SyntaxError", path, 2))

    def test_no_frame_no_place(self):
        e = ValueError("x")
        self.assertEqual(diagnose._error_place(e),
                         ("ValueError", "x", None, 0))

    def test_a_str_that_fails(self):
        class Odd(Exception):
            def __str__(self):
                raise RuntimeError

        name, message, file, line = diagnose._error_place(Odd())
        self.assertTrue(name.endswith(".Odd"), name)
        self.assertEqual(message, "<exception str() failed>")


class Suggestion(TestCase):
    def test_close_names_are_suggested(self):
        lib = self.module("lib", "def main():\n    pass\nvalue = 1\n")
        for typo in ("mian", "maim", "Main", "man"):
            e = diagnose._no_attribute(lib, typo)
            self.assertEqual(str(e), "module 'lib' has no attribute %r. "
                             "Did you mean: 'main'?" % typo)
            self.assertIsNone(getattr(e, "name", None))

    def test_nothing_close_nothing_suggested(self):
        lib = self.module("lib", "def main():\n    pass\n")
        self.assertEqual(str(diagnose._no_attribute(lib, "xyzzy")),
                         "module 'lib' has no attribute 'xyzzy'")

    def test_an_object_s_attribute(self):
        class App:
            def run(self):
                pass
        self.assertEqual(str(diagnose._no_attribute(App(), "rnu")),
                         "'App' object has no attribute 'rnu'. "
                         "Did you mean: 'run'?")

    def module(self, name, source):
        self.write(name + ".py", source)
        return importlib.import_module(name)


class MainGuardHint(TestCase):
    def hint(self, source):
        self.write("app.py", source)
        app = importlib.import_module("app")
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            diagnose._main_guard_hint(app)
        return err.getvalue()

    def test_a_guarded_main_is_named(self):
        said = self.hint("import sys\n"
                         "def main(argv=None):\n    return 0\n"
                         "if __name__ == '__main__':\n"
                         "    sys.exit(main())\n")
        self.assertEqual(said, 'hotload: app: the code under if __name__ == '
                         '"__main__": does not run, since hotload imports '
                         'app as a module; --post-hook main runs main() '
                         'after every import\n')

    def test_a_function_that_needs_arguments_is_not_named(self):
        said = self.hint("def main(argv):\n    pass\n"
                         "if '__main__' == __name__:\n    main([])\n")
        self.assertIn("put it in a function, and name that with --post-hook",
                      said)

    def test_no_guard_no_hint(self):
        self.assertEqual(self.hint("def main():\n    pass\n"
                                   "if __name__ == 'app':\n    main()\n"), "")
        self.assertEqual(self.hint("x = 1\n"), "")

    def test_a_module_without_a_file_says_nothing(self):
        err = io.StringIO()
        with contextlib.redirect_stderr(err):
            diagnose._main_guard_hint(json.decoder.__class__("nofile"))
            diagnose._main_guard_hint(sys)
        self.assertEqual(err.getvalue(), "")
