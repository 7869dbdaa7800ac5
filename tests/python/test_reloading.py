# Loading watched modules fresh, reloading changed ones in the order of their
# imports, and keep()/forget().
import importlib
import importlib.machinery
import importlib.util
import os
import py_compile
import sys
import types

from support import TestCase, hotload

reloading = hotload.reloading


def module(name, path=None, package=None):
    """A module object named name whose source is at path."""
    m = types.ModuleType(name)
    if path is not None:
        m.__file__ = path
    m.__package__ = package if package is not None else name.rpartition(
        ".")[0]
    return m


class Keep(TestCase):
    def keep_in(self, module_name, name, make):
        """Call keep(name, make) as code of the module module_name does."""
        code = "value = hotload.keep(%r, make)" % name
        scope = {"__name__": module_name, "hotload": hotload, "make": make}
        exec(code, scope)
        return scope["value"]

    def forget_in(self, module_name, name):
        scope = {"__name__": module_name, "hotload": hotload}
        exec("value = hotload.forget(%r)" % name, scope)
        return scope["value"]

    def setUp(self):
        super().setUp()
        self.addCleanup(reloading._kept.clear)
        reloading._kept.clear()
        self.made = []

    def make(self):
        self.made.append(object())
        return self.made[-1]

    def test_value_is_made_once_and_kept(self):
        first = self.keep_in("lib", "conn", self.make)
        self.assertIs(self.keep_in("lib", "conn", self.make), first)
        self.assertEqual(len(self.made), 1)

    def test_make_gets_the_arguments(self):
        self.assertEqual(hotload.keep("pair", lambda a, b=0: (a, b), 1, b=2),
                         (1, 2))

    def test_names_belong_to_the_calling_module(self):
        a = self.keep_in("a", "conn", self.make)
        b = self.keep_in("b", "conn", self.make)
        self.assertIsNot(a, b)

    def test_forget_drops_the_value_and_keep_makes_it_again(self):
        first = self.keep_in("lib", "conn", self.make)
        self.assertIsNone(self.forget_in("other", "conn"))
        self.assertIs(self.forget_in("lib", "conn"), first)
        self.assertIsNone(self.forget_in("lib", "conn"))
        self.assertIsNot(self.keep_in("lib", "conn", self.make), first)


class SourceImports(TestCase):
    def imports(self, name, source, package=None):
        path = self.write(name.replace(".", "/") + ".py", source)
        return reloading._source_imports(module(name, path, package))

    def test_plain_imports(self):
        self.assertEqual(
            self.imports("app", "import os, json.decoder\n"
                                "from models import Model\n"
                                "def f():\n    import later\n"),
            {"os", "json.decoder", "models", "models.Model", "later"})

    def test_relative_imports_resolve_against_the_package(self):
        self.assertEqual(
            self.imports("pkg.sub.mod", "from . import sibling\n"
                                        "from .helpers import rate\n"
                                        "from .. import top\n"),
            {"pkg.sub", "pkg.sub.sibling", "pkg.sub.helpers",
             "pkg.sub.helpers.rate", "pkg", "pkg.top"})

    def test_relative_import_of_a_package_s_init(self):
        self.assertEqual(
            self.imports("pkg", "from .core import run\n", package="pkg"),
            {"pkg.core", "pkg.core.run"})

    def test_relative_import_beyond_the_top_is_left_out(self):
        self.assertEqual(self.imports("pkg.mod", "from ... import x\n"
                                                 "import json\n"), {"json"})

    def test_source_that_cannot_be_read_imports_nothing(self):
        self.assertEqual(self.imports("broken", "import os\ndef f(:\n"),
                         set())
        self.assertEqual(reloading._source_imports(module("nofile")), set())
        self.assertEqual(reloading._source_imports(
            module("gone", self.path("gone.py"))), set())


class DependencyOrder(TestCase):
    def modules(self, sources):
        """Modules made from {name: source}, in the order given."""
        return [module(name, self.write(name.replace(".", "/") + ".py",
                                        source))
                for name, source in sources.items()]

    def names(self, modules):
        return [m.__name__ for m in reloading._in_dependency_order(modules)]

    def test_each_module_comes_after_what_it_imports(self):
        mods = self.modules({"app": "import models\n",
                             "models": "from helpers import RATE\n",
                             "helpers": "RATE = 1\n"})
        self.assertEqual(self.names(mods), ["helpers", "models", "app"])
        self.assertEqual(self.names(mods[::-1]), ["helpers", "models", "app"])

    def test_relative_imports_count(self):
        mods = self.modules({"pkg.app": "from .models import Model\n",
                             "pkg.models": "from . import helpers\n",
                             "pkg.helpers": ""})
        self.assertEqual(self.names(mods),
                         ["pkg.helpers", "pkg.models", "pkg.app"])

    def test_a_package_comes_before_its_modules(self):
        mods = self.modules({"pkg.mod": "", "pkg": ""})
        self.assertEqual(self.names(mods), ["pkg", "pkg.mod"])

    def test_a_cycle_is_broken_where_it_is_first_met(self):
        mods = self.modules({"a": "import b\n", "b": "import a\n",
                             "c": "import a\n"})
        self.assertEqual(self.names(mods), ["b", "a", "c"])
        self.assertEqual(self.names([mods[2], mods[1], mods[0]]),
                         ["b", "a", "c"])
        self.assertEqual(self.names([mods[1], mods[0]]), ["a", "b"])

    def test_imports_of_modules_not_given_do_not_matter(self):
        mods = self.modules({"b": "import os, zzz\n", "a": "import b\n"})
        self.assertEqual(self.names(mods), ["b", "a"])


class ChangedModules(TestCase):
    def test_the_imported_modules_whose_files_changed(self):
        self.write("lib.py", "")
        self.write("other.py", "")
        import lib
        import other  # noqa: F401
        self.changed("lib.py")
        self.assertEqual(reloading._changed_modules(), [lib])

    def test_a_module_named_by_a_relative_path_is_found(self):
        path = self.write("rel.py", "")
        rel = module("rel_by_relative_path", os.path.relpath(path))
        sys.modules[rel.__name__] = rel
        self.addCleanup(sys.modules.pop, rel.__name__)
        self.changed("rel.py")
        self.assertEqual(reloading._changed_modules(), [rel])

    def test_nothing_changed(self):
        self.changed()
        self.assertEqual(reloading._changed_modules(), [])


class ReloadChanged(TestCase):
    def setUp(self):
        super().setUp()
        self.log = types.ModuleType("hl_log")
        self.log.order = []
        sys.modules["hl_log"] = self.log
        self.addCleanup(sys.modules.pop, "hl_log")
        logged = "import hl_log\nhl_log.order.append(__name__)\n"
        self.write("helpers.py", logged)
        self.write("models.py", "import helpers\n" + logged)
        self.write("app.py", "import models\n" + logged)
        import app  # noqa: F401
        del self.log.order[:]

    def test_dependencies_first_once_a_round(self):
        self.changed("app.py", "models.py", "helpers.py")
        reloading._reload_changed()
        self.assertEqual(self.log.order, ["helpers", "models", "app"])
        reloading._reload_changed()
        self.assertEqual(len(self.log.order), 3)
        self.assertTrue(reloading._reloaded_this_round("models"))
        self.changed("models.py")
        self.assertFalse(reloading._reloaded_this_round("models"))
        reloading._reload_changed()
        self.assertEqual(self.log.order[3:], ["models"])

    def test_watched_importers_of_a_changed_module_are_reloaded_too(self):
        watched = {self.path(n) for n in ("helpers.py", "models.py",
                                          "app.py")}
        hotload._is_watched = lambda path: path in watched
        self.changed("helpers.py")
        reloading._reload_changed(skip=(sys.modules["app"],))
        # models copied names from helpers: it runs again, after it.
        self.assertEqual(self.log.order, ["helpers", "models"])

    def test_a_module_importing_another_steps_module_waits_for_it(self):
        # -R -m models -m app: in the models step, app (which imports
        # models) waits; its own step then reloads it, after models.
        watched = {self.path(n) for n in ("helpers.py", "models.py",
                                          "app.py")}
        hotload._is_watched = lambda path: path in watched
        self.changed("helpers.py")
        models = hotload.ReloadedPythonModule(sys.modules["models"])
        models.recursive = True
        app = hotload.ReloadedPythonModule(sys.modules["app"])
        app.recursive = True
        models.load()
        app.load()
        self.assertEqual(self.log.order, ["helpers", "models", "app"])

    def test_unwatched_importers_are_left_alone(self):
        watched = {self.path("helpers.py")}
        hotload._is_watched = lambda path: path in watched
        self.changed("helpers.py")
        reloading._reload_changed()
        self.assertEqual(self.log.order, ["helpers"])

    def test_skip_leaves_a_module_to_its_own_step(self):
        self.changed("app.py", "helpers.py")
        reloading._reload_changed(skip=(sys.modules["app"],))
        self.assertEqual(self.log.order, ["helpers"])

    def test_every_reload_goes_through_reload(self):
        reloaded = []

        def record(module, patching=None):
            reloaded.append(module.__name__)
            return importlib.reload(module)
        self.addCleanup(setattr, reloading, "_reload", reloading._reload)
        reloading._reload = record
        self.changed("helpers.py")
        reloading._reload_changed()
        step = hotload.ReloadedPythonModule("app")
        step.run()
        step.run()
        self.assertEqual(reloaded, ["helpers", "app"])


class Freshness(TestCase):
    """A .pyc records its source's mtime in whole seconds and its size."""

    def stale_pyc(self, name):
        """Write name.py and a .pyc of it, then change the source keeping
        its size and its mtime's second. Returns the source's path."""
        path = self.write(name + ".py", "VALUE = 1\n")
        pyc = importlib.util.cache_from_source(path)
        py_compile.compile(path, cfile=pyc, doraise=True)
        second = int(os.stat(path).st_mtime)
        os.utime(pyc, (second, second))
        self.write(name + ".py", "VALUE = 2\n")
        os.utime(path, (second + 0.5, second + 0.5))
        return path

    def load(self, loader_class, name, path):
        loader = loader_class(name, path)
        spec = importlib.util.spec_from_loader(name, loader)
        mod = importlib.util.module_from_spec(spec)
        loader.exec_module(mod)
        return mod

    def test_the_plain_loader_runs_the_old_code(self):
        path = self.stale_pyc("plain")
        mod = self.load(importlib.machinery.SourceFileLoader, "plain", path)
        self.assertEqual(mod.VALUE, 1)  # what _FreshLoader is there for

    def test_same_size_edit_in_the_same_second_runs_the_new_code(self):
        path = self.stale_pyc("fresh")
        self.assertEqual(self.load(reloading._FreshLoader, "fresh",
                                   path).VALUE, 2)

    def test_pyc_from_a_later_second_is_used(self):
        path = self.stale_pyc("later")
        pyc = importlib.util.cache_from_source(path)
        later = int(os.stat(path).st_mtime) + 2
        os.utime(pyc, (later, later))
        self.assertEqual(self.load(reloading._FreshLoader, "later",
                                   path).VALUE, 1)

    def test_writes_no_pyc(self):
        path = self.write("nopyc.py", "VALUE = 1\n")
        loader = reloading._FreshLoader("nopyc", path)
        loader.set_data(importlib.util.cache_from_source(path), b"x")
        self.assertFalse(os.path.exists(os.path.dirname(
            importlib.util.cache_from_source(path))))


class WatchedFinder(TestCase):
    stale_pyc = Freshness.stale_pyc

    def watch(self, *names):
        paths = {self.path(n) for n in names}
        hotload._is_watched = lambda path: path in paths

    def test_finder_is_installed_once_before_the_path_finder(self):
        meta = sys.meta_path
        reloading._install_finder()
        self.assertEqual(meta.count(reloading._WatchedFinder), 1)
        self.assertLess(meta.index(reloading._WatchedFinder),
                        meta.index(importlib.machinery.PathFinder))

    def test_a_watched_module_gets_the_fresh_loader(self):
        self.write("watched.py", "")
        self.write("unwatched.py", "")
        self.watch("watched.py")
        import unwatched
        import watched
        self.assertIs(type(watched.__spec__.loader), reloading._FreshLoader)
        self.assertIs(type(unwatched.__spec__.loader),
                      importlib.machinery.SourceFileLoader)

    def test_the_user_s_own_reload_of_a_watched_module_is_fresh(self):
        self.watch("mymath.py")
        self.write("mymath.py", "")
        import mymath
        self.stale_pyc("mymath")
        self.assertEqual(importlib.reload(mymath).VALUE, 2)
