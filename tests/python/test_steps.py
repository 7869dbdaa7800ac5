# The steps: a module step's _step_run() (pre-hook, load, post-hook, and
# which part failed), the steps hotload runs through _run_step(), and
# listfiles().
import os
import sys

from support import TestCase, hotload

LIB = """V = %d
calls = []
def hook():
    calls.append(("hook", V))
def bad():
    raise ValueError("bad at %%d" %% V)
def interrupt():
    raise KeyboardInterrupt
class obj:
    @staticmethod
    def method():
        calls.append(("method", V))
"""


class Recorder(hotload.ReloadedPythonModule):
    """A step of the Python API that records its hooks' calls, and raises
    from the hook named in fail."""

    fail = None

    def __init__(self, name):
        super().__init__(name)
        self.calls = []

    def pre_reload_hook(self, module):
        self.calls.append(("pre", module.V))
        if self.fail == "pre":
            raise ValueError("pre")

    def post_reload_hook(self, module):
        self.calls.append(("post", module.V))
        if self.fail == "post":
            raise ValueError("post")


class StepRun(TestCase):
    def setUp(self):
        super().setUp()
        self.save(1)

    def save(self, version, text=LIB):
        self.write("lib.py", text % version if "%d" in text else text)

    def step(self, pre=None, post=None):
        return hotload._CommandLineModule("lib", pre, post)

    def failed_part(self, step, exception=ValueError):
        with self.assertRaises(exception) as caught:
            step._step_run(self.report)
        self.failed = caught.exception
        return step._failed_part

    def report(self, part, exception):
        self.reported.append((part, str(exception)))

    reported = ()

    def test_first_import_calls_no_pre_hook(self):
        step = Recorder("lib")
        self.assertIsNone(step._step_run())
        self.assertEqual(step.calls, [("post", 1)])
        self.assertEqual(step._failed_part, "")
        self.save(2)
        step._step_run()
        self.assertEqual(step.calls, [("post", 1), ("pre", 1), ("post", 2)])
        self.assertIs(step.module, sys.modules["lib"])

    def test_hooks_of_a_module_step_by_name_dotted_too(self):
        step = self.step("hook", "obj.method")
        step._step_run()
        self.save(2)
        calls = step.module.calls
        step._step_run()
        self.assertEqual((calls, step.module.calls),
                         ([("method", 1), ("hook", 1)], [("method", 2)]))

    def test_failed_post_hook_of_a_module_step(self):
        self.assertEqual(self.failed_part(self.step(None, "bad")),
                         "post-hook bad: ")
        self.assertEqual(str(self.failed), "bad at 1")

    def test_missing_hook_function_fails_its_part(self):
        step = self.step(None, "nope")
        self.assertEqual(self.failed_part(step, AttributeError),
                         "post-hook nope: ")

    def test_failed_pre_hook_of_a_module_step_is_reported_and_reloads(self):
        step = self.step("bad", "obj.method")
        step._step_run()
        self.save(2)
        self.reported = []
        step._step_run(self.report)
        # The old module's hook failed, at once; the new module ran.
        self.assertEqual(self.reported, [("pre-hook bad: ", "bad at 1")])
        self.assertEqual(step._failed_part, "")
        self.assertEqual(step.module.V, 2)
        self.assertEqual(step.module.calls, [("method", 2)])

    def test_failed_pre_hook_with_no_report_stops_the_step(self):
        step = self.step("bad", "obj.method")
        step._step_run()
        old = step.module
        self.save(2)
        with self.assertRaises(ValueError):
            step._step_run()
        self.assertEqual(step._failed_part, "pre-hook bad: ")
        self.assertIs(step.module, old)

    def test_failed_load(self):
        step = self.step("bad")
        self.save(0, "V = (\n")
        self.assertEqual(self.failed_part(step, SyntaxError), "")
        self.assertNotIn("lib", sys.modules)
        self.assertIsNone(step.module)
        self.save(1)
        step._step_run()
        self.save(0, "raise OSError('at import')\n")
        self.reported = []
        self.assertEqual(self.failed_part(step, OSError), "")
        self.assertEqual(self.reported, [("pre-hook bad: ", "bad at 1")])

    def test_failed_hooks_of_an_api_step(self):
        step = Recorder("lib")
        step.fail = "post"
        self.assertEqual(self.failed_part(step), "post_reload_hook: ")
        step.fail = "pre"
        self.reported = []
        step._step_run(self.report)
        self.assertEqual(self.reported, [("pre_reload_hook: ", "pre")])
        self.assertEqual(step.calls[-2:], [("pre", 1), ("post", 1)])

    def test_failed_part_is_reset_by_each_call(self):
        step = Recorder("lib")
        step.fail = "post"
        self.failed_part(step)
        step.fail = None
        step._step_run()
        self.assertEqual(step._failed_part, "")

    def test_interrupted_pre_hook_stops_the_step(self):
        step = self.step("interrupt", "hook")
        step._step_run()
        old = step.module
        self.save(2)
        self.assertEqual(self.failed_part(step, KeyboardInterrupt),
                         "pre-hook interrupt: ")
        self.assertIs(step.module, old)
        self.assertEqual(step.module.V, 1)

    def test_interrupted_first_run_keeps_the_module(self):
        # A server stopped by --restart in its first run: the next round
        # cleans up after it with the pre-hook, and reloads it.
        self.save(0, "V = 1\nstate = []\n"
                     "def stop():\n    state.append('stopped')\n"
                     "raise KeyboardInterrupt\n")
        step = self.step("stop")
        self.assertEqual(self.failed_part(step, KeyboardInterrupt), "")
        first = step.module
        self.assertIs(sys.modules["lib"], first)
        self.save(2)
        step._step_run()
        self.assertEqual((first.state, step.module.V), (["stopped"], 2))

    def test_run_is_the_same_for_users_of_the_api(self):
        step = Recorder("lib")
        step.run()
        self.save(2)
        step.run(changed_modules=[])
        self.assertEqual(step.calls, [("post", 1), ("pre", 1), ("post", 2)])

    def test_a_module_given_as_an_object_is_reloaded_at_once(self):
        import lib
        step = Recorder(lib)
        self.save(2)
        step._step_run()
        self.assertEqual(step.calls, [("pre", 1), ("post", 2)])


class RunStep(TestCase):
    def setUp(self):
        super().setUp()
        self.write("lib.py", "")
        self.write("other.py", "")
        import lib
        import other  # noqa: F401
        self.lib = lib
        self.changed("lib.py")

    def test_run_that_takes_changed_modules_gets_them(self):
        class Step:
            def run(self, changed_modules):
                return changed_modules
        self.assertEqual(hotload._run_step(Step()), [self.lib])

    def test_run_with_keywords_gets_changed_modules(self):
        class Step(hotload.Runnable):
            def run(self, **kwargs):
                return kwargs
        self.assertEqual(hotload._run_step(Step()),
                         {"changed_modules": [self.lib]})

    def test_run_without_arguments(self):
        class Step:
            def run(self):
                return "ran"
        self.assertEqual(hotload._run_step(Step()), "ran")

    def test_a_function_is_called(self):
        self.assertEqual(hotload._run_step(lambda: "called"), "called")

    def test_python_handle_calls_its_code(self):
        calls = []
        hotload._run_step(hotload.PythonHandle(lambda: calls.append(1)))
        self.assertEqual(calls, [1])

    def test_reload_modules_reloads_the_changed_ones_but_its_own(self):
        self.write("lib.py", "V = 2\n")
        self.write("other.py", "V = 2\n")
        self.changed("lib.py", "other.py")
        hotload._run_step(hotload.ReloadModules(
            hotload.ReloadedPythonModule(self.lib)))
        self.assertEqual((hasattr(self.lib, "V"), sys.modules["other"].V),
                         (False, 2))


class Steps(TestCase):
    def test_labels(self):
        # C names the steps of hotload() by their repr in the status line.
        self.assertEqual(
            [repr(s) for s in (hotload.Command("make"),
                               hotload.ClearTerminal(),
                               hotload.ReloadModules(),
                               hotload.ReloadedPythonModule("lib"),
                               hotload._CommandLineModule("lib"))],
            ["Command('make')", "ClearTerminal()", "ReloadModules()",
             "ReloadedPythonModule('lib')", "_CommandLineModule('lib')"])

    def test_module_step_wants_a_module_or_a_name(self):
        with self.assertRaises(TypeError):
            hotload.ReloadedPythonModule(3)

    def test_function_needs_the_module_imported(self):
        step = hotload.ReloadedPythonModule.from_module_name("lib")
        with self.assertRaises(RuntimeError):
            step.function("f")
        self.write("lib.py", "def f():\n    return 1\n")
        step.run()
        self.assertEqual(step.function("f")(), 1)


class Listfiles(TestCase):
    def test_files_below_the_folder_with_the_ending(self):
        for name in ("a.py", "b.txt", "sub/c.py", "sub/deeper/d.py",
                     "sub/e.pyc"):
            self.write("tree/" + name, "")
        tree = self.path("tree")
        self.assertEqual(
            sorted(hotload.listfiles(tree, ext=".py")),
            [os.path.join(tree, n) for n in
             ("a.py", "sub/c.py", "sub/deeper/d.py")])
        self.assertEqual(len(hotload.listfiles(tree)), 5)
        self.assertEqual(hotload.listfiles(self.path("none")), [])
