"""The hotload module: inside the hotload program, and as the extension
module a plain python imports to run hotload.hotload() from a script.

The scripts run with the python hotload was built against
(HOTLOAD_PYTHON) and the extension module it built (HOTLOAD_MODULE_DIR on
PYTHONPATH). hotload.hotload() picks its own watcher, so its tests run
the same with both backends; the tests of the program use the backend
under test.
"""

import glob
import os
import re
import shutil
import signal
import sys
import subprocess
import tempfile
import unittest

from harness import (BUILD_DIR, MODULE_DIR, PYTHON, SOURCE_DIR, TIMEOUT,
                     WATCHER, Hotload, TestCase, clean_env, read, wait_until,
                     write)

LIB = "x = 3\ny = 4\nprint(x*x + y*y)\n"

# The launch script of the tool hotload grew from, as its README gave it.
SEED_LAUNCH = '''import hotload

hotload.hotload(
    watch=[
        hotload.listfiles(".", ext=".py")
    ],
    steps=[
        hotload.ClearTerminal(),                               # (1)
        hotload.ReloadedPythonModule.from_module_name("lib"),  # (2)
    ]
)
'''

ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def setUpModule():
    # A shell starts background jobs with SIGINT ignored, and a python
    # started with SIGINT ignored leaves it so: Ctrl-C would not stop
    # hotload.hotload(). Handling it here gives the scripts the default.
    signal.signal(signal.SIGINT, signal.default_int_handler)


def api_env():
    """A user's environment, with the built hotload module importable."""
    env = clean_env(PYTHONPATH=MODULE_DIR)
    env.pop("HOTLOAD_RECURSIVE", None)
    return env


def screen_lines(text):
    """The lines of terminal output, without escapes and carriage
    returns."""
    return ESCAPE.sub("", text).replace("\r", "").split("\n")


def lines(text):
    return text.split("\n")


class ApiTestCase(TestCase):
    def launch(self, script, *args, tty=False):
        """Write script as launch.py and run it with the user's python."""
        self.write("launch.py", script)
        h = Hotload([], cwd=self.dir, env=api_env(), tty=tty,
                    argv=[PYTHON, "launch.py"] + list(args))
        self.procs.append(h)
        return h

    def python(self, script):
        """Run script to its end; return (status, stdout, stderr)."""
        self.write("script.py", script)
        p = subprocess.run([PYTHON, "script.py"], cwd=self.dir, env=api_env(),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(), p.stderr.decode()

    def stop(self, h):
        """Stop hotload() with SIGINT, once the last round's status line
        is out: the script goes on and ends, with status 0."""
        self.assertEqual(h.stop(signal.SIGINT), 0, h.stderr())
        self.assertIn("hotload: stopped", h.stderr())


class InsideTheProgram(TestCase):
    """The module as code run by the hotload program sees it."""

    def test_running_reloads_and_changed(self):
        # On stderr, each round's line comes just before its status line.
        lib = self.write("lib.py", "import sys, hotload\n"
                         "print('lib: running', hotload.running, 'reloads',"
                         " hotload.reloads, 'changed', hotload.changed,\n"
                         "      file=sys.stderr)\n")
        self.write("other.py", "")
        h = self.start("-m", "lib", "lib.py", "other.py")
        h.wait_rounds(1)
        write(lib, read(lib) + "# saved\n")
        h.wait_err("changed ('lib.py',)\n")
        h.wait_rounds(2)
        write(self.path("other.py"), "# saved\n")

        def err():
            # Left out: a note on the polling rate, where sweeps are slow.
            return re.sub(r"(?m)^hotload: polling .*\n", "", h.stderr())
        # Its status line follows the module's line.
        wait_until(lambda: re.search(r"changed \('other.py',\)\n"
                                     r"hotload: round \d+ ok", err()),
                   what="the status line of the round for other.py")
        seen = re.findall(r"^lib: (.*)\nhotload: round (\d+) ok", err(),
                          re.M)
        self.assertEqual(seen[0], ("running True reloads 0 changed ()", "1"))
        for text, n in seen:
            self.assertRegex(text, r"^running True reloads %d changed \("
                             % (int(n) - 1))
        # The first round after each save names the file saved (a save in
        # place may give one more round, on a busy machine).
        self.assertTrue(seen[1][0].endswith(" changed ('lib.py',)"), seen)
        self.assertTrue(seen[-1][0].endswith(" changed ('other.py',)"), seen)

    # keep() tests: make() counts its calls in a module hotload does not
    # watch, so never reloads, and says so on stdout.
    COUNTER = "calls = 0\n"
    MAKE = ("import counter\n"
            "def make(what):\n"
            "    counter.calls += 1\n"
            "    print('make', what, counter.calls)\n"
            "    return '%s-%d' % (what, counter.calls)\n")

    def test_keep_makes_the_value_once_over_three_saves(self):
        self.write("counter.py", self.COUNTER)
        self.write("maker.py", self.MAKE)
        src = ("import hotload, maker\n"
               "conn = hotload.keep('conn', maker.make, 'conn')\n"
               "print('using', conn, 'save', %d)\n")
        lib = self.write("lib.py", src % 0)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("save 0\n")
        for i in range(1, 4):
            h.wait_rounds(i)
            write(lib, src % i)
            h.wait_out("save %d\n" % i)
        out = lines(h.stdout())
        self.assertEqual([line for line in out if line.startswith("make")],
                         ["make conn 1"], out)
        self.assertEqual({line[:len("using conn-1")] for line in out[1:-1]},
                         {"using conn-1"}, out)

    def test_keep_names_belong_to_the_module_that_keeps(self):
        self.write("counter.py", self.COUNTER)
        self.write("maker.py", self.MAKE)
        other = self.write(
            "other.py", "import hotload, maker\n"
            "print('loading other')\n"
            "conn = hotload.keep('conn', maker.make, 'other')\n")
        src = ("import hotload, maker, other\n"
               "conn = hotload.keep('conn', maker.make, 'lib')\n"
               "print('lib has', conn, 'other has', other.conn, %d)\n")
        lib = self.write("lib.py", src % 0)
        h = self.start("-R", "-m", "lib", "lib.py", "other.py")
        h.wait_out("other has other-1 0\n")
        h.wait_rounds(1)
        write(other, read(other) + "# saved\n")  # reloaded with -R
        write(lib, src % 1)
        h.wait_out("lib has lib-2 other has other-1 1\n")
        out = lines(h.stdout())
        self.assertGreaterEqual(out.count("loading other"), 2, out)
        self.assertEqual([line for line in out if line.startswith("make")],
                         ["make other 1", "make lib 2"], out)

    def test_forget_makes_the_next_keep_make_again(self):
        self.write("counter.py", self.COUNTER)
        self.write("maker.py", self.MAKE)
        keep = ("import hotload, maker\n"
                "conn = hotload.keep('conn', maker.make, 'conn')\n"
                "print('using', conn, 'save', %d)\n")
        forget = ("import hotload, maker\n"
                  "print('forgot', hotload.forget('conn'))\n"
                  "print('forgot again', hotload.forget('conn'))\n")
        lib = self.write("lib.py", keep % 0)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("using conn-1 save 0\n")
        h.wait_rounds(1)
        write(lib, forget)
        h.wait_out("forgot again None\n")
        h.wait_rounds(2)
        write(lib, keep % 2)
        h.wait_out("save 2\n")
        h.wait_rounds(3)
        write(lib, keep % 3)
        h.wait_out("save 3\n")
        out = lines(h.stdout())
        self.assertEqual([line for line in out if line.startswith("make")],
                         ["make conn 1", "make conn 2"], out)
        self.assertEqual(out[:4], ["make conn 1", "using conn-1 save 0",
                                   "forgot conn-1", "forgot again None"])
        self.assertLess(out.index("forgot conn-1"), out.index("make conn 2"))
        self.assertIn("using conn-2 save 3", out)
        self.assertNotIn("using conn-1 save 2", out)


class LaunchScript(ApiTestCase):
    """hotload.hotload() in a script run by the user's python."""

    def test_ctrl_c_that_python_only_prints_still_ends_hotload(self):
        # A Ctrl-C that comes while a __del__ runs (or a weakref callback,
        # as the import system's module locks have) is printed by Python
        # as "Exception ignored" and goes no further; hotload() ends all
        # the same, after the step, and puts Python's handler back.
        self.write("lib.py", "import os, signal\n"
                   "class Dropped:\n"
                   "    def __del__(self):\n"
                   "        os.kill(os.getpid(), signal.SIGINT)\n"
                   "        total = 0\n"
                   "        for i in range(100000):  # raised in here\n"
                   "            total += i\n"
                   "Dropped()\n"
                   "print('lib ran', flush=True)\n")
        h = self.launch("import hotload, signal\n"
                        "hotload.hotload(watch=[['lib.py']], steps=["
                        "hotload.ReloadedPythonModule('lib')])\n"
                        "print('handler back', signal.getsignal("
                        "signal.SIGINT) is signal.default_int_handler)\n")
        self.assertEqual(h.wait_exit(), 0, h.stderr())
        self.assertIn("Exception ignored in", h.stderr())
        self.assertIn("hotload: stopped", h.stderr())
        self.assertEqual(h.stdout(), "lib ran\nhandler back True\n")

    def test_seed_launch_script_runs_unchanged(self):
        lib = self.write("lib.py", LIB)
        h = self.launch(SEED_LAUNCH, tty=True)

        def wait_line(text):
            wait_until(lambda: text in screen_lines(h.stdout()),
                       what=lambda: "a line %r in:\n%s" % (text, h.stdout()))

        wait_line("25")
        h.wait_rounds(1)
        write(lib, LIB.replace("x = 3", "x = 4"))
        wait_line("32")
        h.wait_rounds(2)
        write(lib, LIB.replace("x = 3", "x = 4") + "print(1 / 0)\n")
        wait_line("ZeroDivisionError: division by zero")
        self.assertIn("Traceback (most recent call last)", h.stdout())
        self.assertEqual(h.status_after("ZeroDivisionError: "), "failed")
        write(lib, LIB.replace("y = 4", "y = 5"))
        wait_line("34")
        self.assertEqual(h.status_after("34\r\n"), "ok")
        self.assertIn("\x1b[2J", h.stdout())  # ClearTerminal() cleared
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), 0, h.stdout())
        self.assertIn("hotload: stopped", h.stdout())

    def test_running_is_true_only_inside_hotload(self):
        self.write("lib.py", "")
        h = self.launch(
            "import hotload\n"
            "print('before', hotload.running, hotload.reloads)\n"
            "def show():\n"
            "    print('inside', hotload.running, hotload.reloads,"
            " hotload.changed)\n"
            "hotload.hotload(watch=[['lib.py']], steps=[show])\n"
            "print('after', hotload.running)\n")
        h.wait_out("inside True 0 ()\n")
        h.wait_rounds(1)
        write(self.path("lib.py"), "# saved\n")
        h.wait_out("inside True 1 ('lib.py',)\n")
        h.wait_rounds(2)
        self.stop(h)
        out = lines(h.stdout())
        self.assertEqual(out[:3], ["before False 0", "inside True 0 ()",
                                   "inside True 1 ('lib.py',)"])
        self.assertEqual(out[-2:], ["after False", ""])
        for line in out[3:-2]:  # a save in place may give two rounds
            self.assertRegex(line, r"^inside True \d+ \('lib.py',\)$")

    HOOKS = '''import hotload

class Hooked(hotload.ReloadedPythonModule):
    def pre_reload_hook(self, module):
        print("pre sees", module.VERSION)

    def post_reload_hook(self, module):
        print("post sees", module.VERSION)

hotload.hotload(watch=[["lib.py"]],
                steps=[Hooked.from_module_name("lib")])
'''

    def test_pre_hook_sees_the_old_module_post_hook_the_new(self):
        lib = self.write("lib.py", "VERSION = 1\n")
        h = self.launch(self.HOOKS)
        h.wait_out("post sees 1\n")
        h.wait_rounds(1)
        self.assertNotIn("pre sees", h.stdout())  # not before the import
        write(lib, "VERSION = 2\n")
        h.wait_out("post sees 2\n")
        h.wait_rounds(2)
        write(lib, "VERSION = 3\n")
        h.wait_out("post sees 3\n")
        h.wait_rounds(3)
        self.stop(h)
        out = lines(h.stdout())[:-1]
        self.assertEqual(out[:2], ["post sees 1", "pre sees 1"])
        self.assertIn("post sees 2", out)
        self.assertIn("pre sees 2", out)
        self.assertEqual(out[-1], "post sees 3")
        # Each pre-hook sees what the post-hook saw last: the old module.
        for i, line in enumerate(out):
            if line.startswith("pre sees "):
                self.assertEqual(out[i - 1], line.replace("pre", "post"), out)
                self.assertTrue(out[i + 1].startswith("post sees "), out)
        self.assertEqual({s for _, s in h.rounds()}, {"ok"})

    def test_command_gets_the_changed_files(self):
        self.write("a.py", "")
        self.write("b.py", "")
        h = self.launch(
            "import hotload\n"
            "hotload.hotload(watch=[['a.py', 'b.py']], steps=[\n"
            "    hotload.Command('echo \"args $# [$*]\"; "
            "echo \"env [$HOTLOAD_CHANGED]\"')])\n")
        h.wait_out("env []\n")
        h.wait_rounds(1)
        write(self.path("b.py"), "# saved\n")
        h.wait_out("env [b.py]\n")
        h.wait_rounds(2)
        out = lines(h.stdout())
        self.assertEqual(out[:4], ["args 0 []", "env []", "args 1 [b.py]",
                                   "env [b.py]"])
        self.assertLessEqual(set(out[4:]),
                             {"args 1 [b.py]", "env [b.py]", ""})
        self.assertIn("Command(", h.stderr())
        self.stop(h)

    def test_python_handle_is_called_each_round(self):
        self.write("lib.py", "")
        h = self.launch(
            "import hotload\n"
            "calls = []\n"
            "def count():\n"
            "    calls.append(1)\n"
            "    print('handle call', len(calls))\n"
            "hotload.hotload(watch=[['lib.py']],\n"
            "                steps=[hotload.PythonHandle(count)])\n")
        for i in range(1, 4):
            h.wait_out("handle call %d\n" % i)
            h.wait_rounds(i)
            write(self.path("lib.py"), "# save %d\n" % i)
        h.wait_out("handle call 4\n")
        h.wait_rounds(4)
        self.assertIn("PythonHandle(", h.stderr())
        self.stop(h)

    RELOAD_MODULES = '''import sys
import hotload

if sys.argv[1] == "module":
    import lib
    step = hotload.ReloadedPythonModule(lib)
    reloader = hotload.ReloadModules(step.module)
else:
    step = hotload.ReloadedPythonModule.from_module_name("lib")
    reloader = hotload.ReloadModules(step)
hotload.hotload(watch=[["lib.py", "base.py"]], steps=[reloader, step])
'''
    BASE = "print('loading base')\ndef f():\n    return 'f%d'\n"
    LIB_USES_BASE = ("import hotload\n"
                     "print('loading lib', hotload.running, hotload.reloads)\n"
                     "import base\nfrom base import f\n"
                     "print('values', base.f(), f(), %d)\n")

    def check_reload_modules(self, how):
        base = self.write("base.py", self.BASE % 1)
        lib = self.write("lib.py", self.LIB_USES_BASE % 0)
        h = self.launch(self.RELOAD_MODULES, how)
        h.wait_out("values f1 f1 0\n")
        h.wait_rounds(1)
        write(base, self.BASE % 2)
        h.wait_out("values f2 f2 0\n")
        h.wait_rounds(2)
        # Both at once: lib has its own step, and loads once a round.
        write(base, self.BASE % 3)
        write(lib, self.LIB_USES_BASE % 1)
        h.wait_out("values f3 f3 1\n")
        # The burst gave one round, or two on a busy machine: wait for the
        # last one's status line, so that hotload waits when it is stopped.
        rounds = {line for line in lines(h.stdout())
                  if line.startswith("loading lib True")}
        h.wait_rounds(len(rounds))
        self.stop(h)  # and read all it printed
        loads = [line for line in lines(h.stdout())
                 if line.startswith("loading lib")]
        self.assertEqual(len(loads), len(set(loads)), h.stdout())

    def test_reload_modules_given_the_module(self):
        self.check_reload_modules("module")

    def test_reload_modules_given_the_step(self):
        self.check_reload_modules("step")

    def test_function_gives_the_current_function(self):
        lib = self.write("lib.py", "def answer():\n    return 'first'\n")
        h = self.launch(
            "import hotload\n"
            "step = hotload.ReloadedPythonModule.from_module_name('lib')\n"
            "def call():\n"
            "    print('answer is', step.function('answer')())\n"
            "hotload.hotload(watch=[['lib.py']], steps=[step, call])\n")
        h.wait_out("answer is first\n")
        h.wait_rounds(1)
        write(lib, "def answer():\n    return 'second'\n")
        h.wait_out("answer is second\n")
        h.wait_rounds(2)
        self.stop(h)

    def test_waittime_ms_is_accepted(self):
        lib = self.write("lib.py", "print('value', 1)\n")
        for how in ("waittime_ms=0.05", "0.05"):
            with self.subTest(how):
                write(lib, "print('value', 1)\n")
                h = self.launch(
                    "import hotload\n"
                    "hotload.hotload([['lib.py']],\n"
                    "                [hotload.ReloadedPythonModule('lib')],\n"
                    "                %s)\n" % how)
                h.wait_out("value 1\n")
                h.wait_rounds(1)
                write(lib, "print('value', 2)\n")
                h.wait_out("value 2\n")
                h.wait_rounds(2)
                self.stop(h)

    def test_step_that_raises_prints_a_traceback_and_the_loop_goes_on(self):
        lib = self.write("lib.py", "")
        h = self.launch(
            "import hotload\n"
            "def bad():\n"
            "    raise ValueError('step went wrong')\n"
            "def after():\n"
            "    print('after the bad step')\n"
            "hotload.hotload(watch=[['lib.py']], steps=[bad, after])\n")
        h.wait_out("after the bad step\n")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        self.assertIn("Traceback (most recent call last)", h.stderr())
        self.assertIn("ValueError: step went wrong", h.stderr())
        self.assertIn("line 3, in bad", h.stderr())
        write(lib, "# saved\n")
        h.wait_out("after the bad step\n", count=2)
        self.assertEqual(h.wait_rounds(2)[1], (2, "failed"))
        self.assertGreaterEqual(
            h.stderr().count("ValueError: step went wrong"), 2)
        self.stop(h)

    def test_plain_object_with_run_and_plain_function_are_steps(self):
        lib = self.write("lib.py", "")
        h = self.launch(
            "import hotload\n"
            "class Greeter:\n"
            "    def run(self):\n"
            "        print('object run')\n"
            "def function():\n"
            "    print('function called')\n"
            "hotload.hotload(watch=[['lib.py']],\n"
            "                steps=[Greeter(), function])\n")
        h.wait_out("function called\n")
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        write(lib, "# saved\n")
        h.wait_out("function called\n", count=2)
        h.wait_rounds(2)
        out = lines(h.stdout())
        self.assertEqual(out, ["object run", "function called"] *
                         (len(out) // 2) + [""])
        self.stop(h)

    def test_bad_arguments_raise_type_error(self):
        self.write("lib.py", "")
        status, out, err = self.python(
            "import hotload\n"
            "def attempt(**kwargs):\n"
            "    try:\n"
            "        hotload.hotload(**kwargs)\n"
            "    except Exception as e:\n"
            "        print(type(e).__name__ + ': ' + str(e))\n"
            "    else:\n"
            "        print('no error')\n"
            "attempt(watch=[['lib.py']], steps=hotload.ClearTerminal())\n"
            "attempt(watch=[['lib.py']], steps=42)\n"
            "attempt(watch=[['lib.py']],\n"
            "        steps=[hotload.ClearTerminal(), 42])\n"
            "attempt(watch=[['lib.py']], steps=['echo hi'])\n"
            "attempt(watch=[[['lib.py']]], steps=[])\n")
        self.assertEqual(status, 0, err)
        self.assertEqual(lines(out), [
            "TypeError: hotload(): steps is a list",
            "TypeError: hotload(): steps is a list",
            "TypeError: hotload(): 42 is not a step: give steps with a run()"
            " method, or functions",
            "TypeError: hotload(): 'echo hi' is not a step: give steps with a"
            " run() method, or functions",
            "TypeError: hotload(): watch holds lists of paths, not"
            " ['lib.py']", ""])

    def test_uncaught_bad_argument_ends_the_script_with_a_traceback(self):
        self.write("lib.py", "")
        status, out, err = self.python(
            "import hotload\n"
            "hotload.hotload(watch=[['lib.py']], steps=[object()])\n")
        self.assertEqual(status, 1)
        self.assertIn("Traceback (most recent call last)", err)
        self.assertRegex(err, r"TypeError: hotload\(\): <object object at "
                         r"0x[0-9a-f]+> is not a step")

    def test_watch_with_only_missing_files_raises_value_error(self):
        status, out, err = self.python(
            "import hotload\n"
            "try:\n"
            "    hotload.hotload(watch=[['missing.py', 'gone.py']],\n"
            "                    steps=[hotload.ClearTerminal()])\n"
            "except ValueError as e:\n"
            "    print('ValueError:', e)\n")
        self.assertEqual(status, 0, err)
        self.assertEqual(out, "ValueError: hotload(): nothing to watch: none "
                         "of the files in watch exist\n")
        self.assertIn("hotload: missing.py: No such file", err)
        self.assertIn("hotload: gone.py: No such file", err)

    def test_listfiles_returns_the_paths(self):
        for name in ("a.py", "b.txt", "sub/c.py", "sub/deeper/d.py"):
            self.write(os.path.join("tree", name), "")
        status, out, err = self.python(
            "import hotload\n"
            "for path in sorted(hotload.listfiles('tree', ext='.py')):\n"
            "    print(path)\n"
            "print(len(hotload.listfiles('tree')))\n"
            "print(hotload.listfiles('tree', '.txt'))\n")
        self.assertEqual(status, 0, err)
        self.assertEqual(lines(out), [
            "tree/a.py", "tree/sub/c.py", "tree/sub/deeper/d.py", "4",
            "['tree/b.txt']", ""])


class Example(ApiTestCase):
    """examples/post-reload-hook, run as its README says."""

    def row(self, out, name):
        """The last row of the table for name: its words."""
        found = [line.split() for line in lines(out)
                 if line.split()[:1] == [name]]
        self.assertTrue(found, "no row %r in:\n%s" % (name, out))
        return found[-1]

    def test_post_reload_hook_example(self):
        example = os.path.join(SOURCE_DIR, "examples", "post-reload-hook")
        for name in ("launch.py", "mymath.py", "README.md"):
            shutil.copy(os.path.join(example, name), self.dir)
        self.assertIn("PYTHONPATH=../../build/python python3 launch.py",
                      read(self.path("README.md")))
        mymath = self.path("mymath.py")
        source = read(mymath)
        h = Hotload([], cwd=self.dir, env=api_env(),
                    argv=[PYTHON, "launch.py"])
        self.procs.append(h)
        h.wait_out("collatz_steps")
        h.wait_rounds(1)
        out = h.stdout()
        self.assertEqual(self.row(out, "square"),
                         ["square", "1", "4", "9", "16", "25", "36", "49",
                          "64"])
        self.assertNotIn("reloading", out)  # no pre-hook before the import
        self.assertNotIn("(changed)", out)

        write(mymath, source.replace("return n * n", "return n * n * n"))
        h.wait_out("(changed)")
        h.wait_rounds(2)
        out = h.stdout()
        self.assertIn("reloading mymath; the old version had 3 functions",
                      out)
        self.assertEqual(self.row(out, "square"),
                         ["square", "1", "8", "27", "64", "125", "216",
                          "343", "512", "(changed)"])
        self.assertNotIn("(changed)", " ".join(self.row(out, "triangle")))

        before = len(out)
        write(mymath, source + "\n\ndef double(n):\n    return 2 * n\n")
        h.wait_out("(new)")
        h.wait_rounds(3)
        out = h.stdout()[before:]
        self.assertIn("the old version had 3 functions", out)
        self.assertEqual(self.row(out, "double")[-1], "(new)")
        self.assertEqual(self.row(out, "square")[-1], "(changed)")  # back

        write(mymath, source + "\ndef broken(n:\n")
        self.assertEqual(h.status_after("SyntaxError: "), "failed")
        rounds = len(h.rounds())
        write(mymath, source)
        # The failed round's pre-hook said it once; the fixed one again.
        h.wait_out("the old version had 4 functions", count=2)
        self.assertEqual(h.wait_rounds(rounds + 1)[rounds][1], "ok")
        self.stop(h)


# Installing does not depend on the watcher: run once, with inotify where
# there is one (the quick run's and the Python matrix's), else with poll.
ONCE = WATCHER == ("inotify" if sys.platform.startswith("linux") else "poll")


@unittest.skipUnless(WATCHER in (None, "") or ONCE,
                     "installing does not depend on the watcher")
@unittest.skipIf(shutil.which("cmake") is None, "cmake is not installed")
class Install(unittest.TestCase):
    """cmake --install puts everything in place, the module importable."""

    def test_per_user_install_is_importable(self):
        # cmake --install --prefix ~/.local, as the README says, with a
        # home of its own: the module goes where this python reads the
        # user's packages from (site-packages, also for Debian's python,
        # whose other directories are dist-packages).
        base = tempfile.mkdtemp(prefix="hotload-user-")
        self.addCleanup(shutil.rmtree, base, ignore_errors=True)
        env = clean_env(PYTHONUSERBASE=base)
        env.pop("PYTHONPATH", None)
        env.pop("PYTHONNOUSERSITE", None)
        p = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix",
                            base], capture_output=True, timeout=120,
                           env=env)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        p = subprocess.run(
            [PYTHON, "-c", "import hotload, site; print(hotload.__file__); "
             "print(site.getusersitepackages())"],
            env=env, cwd=base, stdin=subprocess.DEVNULL,
            capture_output=True, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        module, user_site = p.stdout.decode().split("\n")[:2]
        self.assertEqual(os.path.dirname(module), user_site)

    def test_install_puts_files_in_place(self):
        prefix = tempfile.mkdtemp(prefix="hotload-install-")
        self.addCleanup(shutil.rmtree, prefix, ignore_errors=True)
        p = subprocess.run(["cmake", "--install", BUILD_DIR, "--prefix",
                            prefix], capture_output=True, timeout=120)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        for path in ("bin/hotload", "share/man/man1/hotload.1",
                     "share/bash-completion/completions/hotload",
                     "share/zsh/site-functions/_hotload",
                     "share/fish/vendor_completions.d/hotload.fish"):
            self.assertTrue(os.path.isfile(os.path.join(prefix, path)), path)
        self.assertTrue(os.access(os.path.join(prefix, "bin", "hotload"),
                                  os.X_OK))
        modules = glob.glob(os.path.join(prefix, "lib", "**", "hotload*.so"),
                            recursive=True)
        self.assertEqual(len(modules), 1, modules)
        where = os.path.dirname(modules[0])
        p = subprocess.run(
            [PYTHON, "-c", "import hotload; print(hotload.listfiles); "
             "print(hotload.__file__)"],
            env=clean_env(PYTHONPATH=where), cwd=prefix,
            stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        out = p.stdout.decode().split("\n")
        self.assertTrue(out[0].startswith("<function listfiles"), out)
        self.assertEqual(out[1], modules[0])
        p = subprocess.run([os.path.join(prefix, "bin", "hotload"),
                            "--version"], capture_output=True,
                           stdin=subprocess.DEVNULL, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertTrue(p.stdout.decode().startswith("hotload "))


if __name__ == "__main__":
    unittest.main()
