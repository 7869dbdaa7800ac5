# The names that cross between C and Python, listed at the top of
# src/py/hotload.py, against the module and the C sources; the public API;
# and the module made as C makes it, from sources given as _sources.
import glob
import importlib
import os
import re
import sys
import types
import unittest

from support import PY_DIR, SOURCE_DIR, hotload

MODULE_LISTS = ("_SET_BY_C", "_DEFINED_BY_C", "_USED_BY_C")
PUBLIC = {"keep", "forget", "hotload", "listfiles", "Runnable",
          "PythonHandle", "Command", "ClearTerminal", "ReloadedPythonModule",
          "ReloadModules", "running", "reloads", "changed"}


def listed():
    return {name for lst in MODULE_LISTS for name in getattr(hotload, lst)}


def c_names():
    """The names in string constants of the C files that use Python."""
    names = set()
    for path in glob.glob(os.path.join(SOURCE_DIR, "src", "*.c")):
        with open(path) as f:
            text = f.read()
        if "<Python.h>" in text:
            names.update(re.findall(r'"([A-Za-z_][A-Za-z0-9_]*)"', text))
    return names


def steps():
    """A step of each kind C knows."""
    return (hotload._CommandLineModule("lib", "pre", "post"),
            hotload.Command("true"), hotload.ClearTerminal())


class CrossingNames(unittest.TestCase):
    def test_every_listed_name_is_defined(self):
        for name in listed():
            self.assertTrue(hasattr(hotload, name), name)
        for name in hotload._STEP_ATTRIBUTES:
            self.assertTrue(any(hasattr(s, name) for s in steps()), name)

    def test_functions_c_defines_have_stubs_here(self):
        self.assertFalse(hotload._is_watched(__file__))
        with self.assertRaises(RuntimeError):
            hotload.hotload([], [])

    def test_every_name_c_uses_is_listed(self):
        names = c_names()
        if not names:
            self.skipTest("no C sources at %s" % SOURCE_DIR)
        for name in names:
            if name.startswith("__") and name != "__version__":
                continue
            value = getattr(hotload, name, None)
            if value is not None and not isinstance(value, types.ModuleType):
                self.assertIn(name, listed(), "C uses hotload.%s" % name)
            elif any(hasattr(s, name) for s in steps()):
                self.assertIn(name, hotload._STEP_ATTRIBUTES,
                              "C uses the steps' %s" % name)

    def test_every_listed_name_is_used_by_c(self):
        names = c_names()
        if not names:
            self.skipTest("no C sources at %s" % SOURCE_DIR)
        self.assertEqual(listed() - names, set())


class PublicApi(unittest.TestCase):
    def test_public_names(self):
        self.assertEqual(set(hotload.__all__), PUBLIC)
        for name in PUBLIC:
            self.assertTrue(hasattr(hotload, name), name)

    def test_classes_and_functions_are_the_module_s_own(self):
        for name in PUBLIC:
            value = getattr(hotload, name)
            if isinstance(value, (type, types.FunctionType)):
                self.assertEqual(value.__module__, "hotload", name)


class AsCMakesIt(unittest.TestCase):
    """The module as PyInit_hotload makes it: hotload.py run in a module
    that holds __version__ and the other files as _sources."""

    def setUp(self):
        saved = {k: v for k, v in sys.modules.items()
                 if k == "hotload" or k.startswith("hotload.")}
        meta = list(sys.meta_path)

        def restore():
            for k in [k for k in sys.modules if k.startswith("hotload.")]:
                del sys.modules[k]
            sys.modules.update(saved)
            sys.meta_path[:] = meta
        self.addCleanup(restore)
        for k in saved:
            del sys.modules[k]
        sources = {}
        for path in glob.glob(os.path.join(PY_DIR, "*.py")):
            with open(path) as f:
                sources[os.path.basename(path)[:-3]] = f.read()
        self.module = types.ModuleType("hotload")
        self.module.__version__ = "9.9"
        self.module._sources = sources
        sys.modules["hotload"] = self.module
        exec(compile(sources.pop("hotload"), "<hotload hotload.py>", "exec"),
             self.module.__dict__)

    def test_submodules_come_from_the_sources_with_hotload_names(self):
        m = self.module
        self.assertEqual(m.__version__, "9.9")
        self.assertIs(sys.modules["hotload.api"], m.api)
        self.assertEqual(m.ReloadedPythonModule._step_run.__code__.co_filename,
                         "<hotload api.py>")
        for name in m._sources:  # those not imported yet too
            sub = importlib.import_module("hotload." + name)
            self.assertEqual(sub.__spec__.origin, "<hotload %s.py>" % name)
            self.assertEqual(sub.__package__, "hotload")
        self.assertIsNot(m.ReloadedPythonModule, hotload.ReloadedPythonModule)

    def test_the_module_s_round_values_are_the_ones_read(self):
        m = self.module
        m._changed_paths = (os.path.abspath(__file__),)
        self.assertEqual(m.reloading._changed_modules(),
                         [sys.modules[__name__]])
