"""The embedded interpreter: imports, reloads, hooks, errors and state."""

import os
import py_compile
import subprocess
import sys
import time

from harness import TestCase, write

LIB = "x = 3\ny = 4\nprint(x*x + y*y)\n"


class QuickStart(TestCase):
    def test_edit_shows_new_result_without_restart(self):
        lib = self.write("lib.py", LIB)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("25\n")
        pid = h.proc.pid
        write(lib, LIB.replace("x = 3", "x = 4"))
        h.wait_out("32\n")
        self.assertEqual(h.proc.pid, pid)
        self.assertEqual(h.proc.poll(), None)
        self.assertEqual([s for _, s in h.wait_rounds(2)], ["ok", "ok"])

    def test_file_list_from_stdin(self):
        self.write("lib.py", LIB)
        h = self.start("--module", "lib", stdin="lib.py\n")
        h.wait_out("25\n")
        write(self.path("lib.py"), LIB.replace("y = 4", "y = 5"))
        h.wait_out("34\n")

    def test_exception_prints_traceback_and_next_save_recovers(self):
        lib = self.write("lib.py", LIB)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("25\n")
        write(lib, "x = 3\nprint(undefined_name)\n")
        h.wait_rounds(2)
        self.assertIn("Traceback (most recent call last)", h.stderr())
        self.assertIn("NameError", h.stderr())
        self.assertEqual(h.rounds()[1], (2, "failed"))
        self.assertIn("lib NameError", h.stderr())
        write(lib, LIB.replace("x = 3", "x = 4"))
        h.wait_out("32\n")
        self.assertEqual(h.wait_rounds(3)[2], (3, "ok"))

    def test_syntax_error_at_start_is_retried_on_next_change(self):
        lib = self.write("lib.py", "x = (\n")
        h = self.start("-m", "lib", "lib.py")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        self.assertIn("SyntaxError", h.stderr())
        write(lib, LIB)
        h.wait_out("25\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))

    def test_missing_module_at_start_is_retried(self):
        self.write("other.py", "")
        h = self.start("-m", "lib", "lib.py", "other.py")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        self.assertIn("ModuleNotFoundError", h.stderr())
        self.write("lib.py", LIB)
        h.wait_out("25\n")

    def test_state_survives_reload_with_nameerror_idiom(self):
        src = ("try:\n    count = count + 1\nexcept NameError:\n"
               "    count = 0\nprint('count', count, '#%d')\n")
        lib = self.write("lib.py", src % 0)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("count 0 #0")
        write(lib, src % 1)
        h.wait_out("count 1 #1")
        write(lib, src % 2)
        h.wait_out("count 2 #2")

    def test_system_exit_ends_the_step_not_hotload(self):
        lib = self.write("lib.py", "import sys\nprint('a')\nsys.exit(3)\n")
        h = self.start("-m", "lib", "-r", "echo after", "lib.py")
        h.wait_out("after\n")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        self.assertIn("lib exit 3", h.stderr())
        write(lib, "print('b')\nexit()\n")
        h.wait_out("b\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))
        write(lib, "raise SystemExit('bye now')\n")
        h.wait_err("bye now\n")
        h.wait_err("lib exit 1")
        self.assertIsNone(h.proc.poll())

    def test_module_name_and_sys_path(self):
        self.write("lib.py", "import sys, os\nprint(__name__)\n"
                   "print(sys.path[0] == os.getcwd())\n"
                   "import helper\nprint(helper.VALUE)\n")
        self.write("helper.py", "VALUE = 'helper here'\n")
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("helper here")
        self.assertEqual(h.stdout().splitlines()[:2], ["lib", "True"])

    def test_hotload_running_is_set_for_python(self):
        self.write("lib.py", "import os\nprint('HR', os.environ.get("
                   "'HOTLOAD_RUNNING'))\nimport hotload\n"
                   "print('mod', hotload.running)\n")
        status, out, err = self.run_hotload("--once", "-m", "lib", "lib.py")
        self.assertEqual(status, 0, err)
        self.assertIn("HR 1", out)
        self.assertIn("mod True", out)


class ModuleNames(TestCase):
    def check(self, arg, expect_name, files):
        for name, text in files.items():
            self.write(name, text)
        status, out, err = self.run_hotload("--once", "-m", arg,
                                            *files.keys())
        self.assertEqual(status, 0, err)
        self.assertEqual(out.split(), [expect_name], err)

    def test_plain_name(self):
        self.check("lib", "lib", {"lib.py": "print(__name__)\n"})

    def test_file_name(self):
        self.check("lib.py", "lib", {"lib.py": "print(__name__)\n"})

    def test_package_path(self):
        self.check("pkg/mod.py", "pkg.mod", {
            "pkg/__init__.py": "", "pkg/mod.py": "print(__name__)\n"})

    def test_dotted_name(self):
        self.check("pkg.mod", "pkg.mod", {
            "pkg/__init__.py": "", "pkg/mod.py": "print(__name__)\n"})

    def test_path_in_plain_directory_is_run_from_there(self):
        # Like python src/lib.py: src/ is on sys.path, siblings import.
        self.check("src/lib.py", "lib-sibling", {
            "src/lib.py": "import sibling\nprint(__name__ + '-' + "
                          "sibling.__name__)\n",
            "src/sibling.py": ""})

    def test_bad_name_is_a_usage_error(self):
        self.write("lib.py", "")
        status, out, err = self.run_hotload("-m", "lib..x", "lib.py")
        self.assertEqual(status, 2)
        self.assertIn("hotload: --module 'lib..x': not a module name", err)


class Hooks(TestCase):
    def test_pre_hook_sees_old_module_post_hook_the_new(self):
        src = ("VERSION = %d\n"
               "def setup():\n    print('post', VERSION)\n"
               "def teardown():\n    print('pre', VERSION)\n")
        lib = self.write("lib.py", src % 1)
        h = self.start("-m", "lib", "--pre-hook", "teardown",
                       "--post-hook", "setup", "lib.py")
        h.wait_out("post 1\n")
        self.assertNotIn("pre", h.stdout())  # not before the first import
        write(lib, src % 2)
        h.wait_out("post 2\n")
        self.assertEqual(h.stdout().split("\n"),
                         ["post 1", "pre 1", "post 2", ""])

    def test_entrypoint_is_post_hook(self):
        self.write("lib.py", "def main():\n    print('main ran')\n")
        status, out, err = self.run_hotload("--once", "-m", "lib",
                                            "--entrypoint", "main", "lib.py")
        self.assertEqual((status, out), (0, "main ran\n"), err)

    def test_hooks_belong_to_the_module_before_them(self):
        self.write("a.py", "def go():\n    print('a.go')\n")
        self.write("b.py", "def go():\n    print('b.go')\n")
        status, out, err = self.run_hotload(
            "--once", "-m", "a", "-m", "b", "--post-hook", "go", "a.py")
        self.assertEqual((status, out), (0, "b.go\n"), err)

    def test_hook_before_any_module_is_a_usage_error(self):
        status, out, err = self.run_hotload("--post-hook", "main", "-m",
                                            "lib", "lib.py")
        self.assertEqual(status, 2)
        self.assertIn("put it after the --module", err)

    def test_one_hook_of_each_kind_per_module(self):
        status, out, err = self.run_hotload("-m", "lib", "--entrypoint",
                                            "a", "--post-hook", "b", "x")
        self.assertEqual(status, 2)
        self.assertIn("--post-hook b: --module lib already has a post hook a",
                      err)

    def test_missing_hook_function_fails_the_step(self):
        self.write("lib.py", "print('loaded')\n")
        status, out, err = self.run_hotload("--once", "-m", "lib",
                                            "--post-hook", "nope", "lib.py")
        self.assertEqual(status, 1)
        self.assertIn("loaded", out)
        self.assertIn("AttributeError", err)
        self.assertIn("post-hook nope", err)

    def test_failing_pre_hook_still_reloads(self):
        src = "V = %d\nprint('v', V)\ndef bad():\n    raise ValueError\n"
        lib = self.write("lib.py", src % 1)
        h = self.start("-m", "lib", "--pre-hook", "bad", "lib.py")
        h.wait_out("v 1\n")
        write(lib, src % 2)
        h.wait_out("v 2\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "failed"))
        self.assertIn("pre-hook bad: ValueError", h.stderr())


class Freshness(TestCase):
    def test_same_size_edit_in_same_second_runs_new_code(self):
        # A .pyc keeps whole-second mtimes and the size: both equal here.
        lib = self.write("lib.py", "print('value', 1)\n")
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("value 1\n")
        for i in range(2, 8):
            write(lib, "print('value', %d)\n" % i)
            h.wait_out("value %d\n" % i)
        self.assertFalse(os.path.exists(self.path("__pycache__")),
                         "hotload wrote bytecode into the user's tree")

    def test_stale_pyc_from_an_earlier_python_run_is_not_used(self):
        lib = self.write("lib.py", "print('old', 1)\n")
        st = os.stat(lib)
        py_compile.compile(lib)  # what "python lib.py"-style imports leave
        write(lib, "print('new', 2)\n")  # same size
        os.utime(lib, ns=(st.st_atime_ns, st.st_mtime_ns))
        status, out, err = self.run_hotload("--once", "-m", "lib", "lib.py")
        self.assertEqual((status, out), (0, "new 2\n"), err)


class Output(TestCase):
    def test_order_is_kept_when_stdout_is_a_pipe(self):
        self.write("a.py", "print('python a')\n")
        self.write("b.py", "print('python b')\n")
        status, out, err = self.run_hotload(
            "--once", "-m", "a", "-r", "echo shell 1", "-m", "b",
            "-r", "echo shell 2", "a.py")
        self.assertEqual(out, "python a\nshell 1\npython b\nshell 2\n", err)
        self.assertEqual(status, 0)

    def test_order_is_kept_across_rounds_in_a_pipe(self):
        lib = self.write("lib.py", "print('round', 1)\n")
        h = self.start("-m", "lib", "-r", "echo cmd", "lib.py")
        h.wait_out("cmd\n")
        write(lib, "print('round', 2)\n")
        h.wait_out("cmd\n", count=2)
        self.assertEqual(h.stdout(), "round 1\ncmd\nround 2\ncmd\n")

    def test_each_round_starts_in_the_starting_directory(self):
        os.mkdir(self.path("sub"))
        lib = self.write("lib.py", "import os\nprint(os.path.basename("
                         "os.getcwd()))\nos.chdir('sub')\n")
        h = self.start("-m", "lib", "-r", "basename \"$PWD\"", "lib.py")
        base = os.path.basename(self.dir)
        h.wait_out(base + "\n", count=2)
        with open(lib, "a") as f:
            f.write("\n")
        h.wait_out(base + "\n", count=4)
        self.assertNotIn("sub\n", h.stdout())

    def test_forked_child_does_not_go_on_as_hotload(self):
        self.write("lib.py", "import os\npid = os.fork()\n"
                   "print('child' if pid == 0 else 'parent', flush=True)\n"
                   "if pid: os.waitpid(pid, 0)\n")
        status, out, err = self.run_hotload("--once", "-m", "lib", "lib.py")
        self.assertEqual(status, 0, err)
        self.assertEqual(sorted(out.split()), ["child", "parent"])
        self.assertEqual(err.count("hotload: round"), 1, err)
