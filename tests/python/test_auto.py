# --auto: which files the modules a program imports are watched through.
import importlib
import importlib.machinery
import os
import sys
import zipfile

from support import TestCase, hotload

auto = hotload.auto


class Auto(TestCase):
    """A session with --auto whose current directory is the test's own,
    and whose offers of files are kept in self.offered."""

    def setUp(self):
        super().setUp()
        self.offered = []
        self.addCleanup(setattr, hotload, "_auto_offer",
                        hotload._auto_offer)
        hotload._auto_offer = self.offered.append
        self.addCleanup(auto._auto_stop)

    def start(self, *roots):
        return auto._auto_start(roots, cwd=self.dir)

    def update(self):
        """The set after a round, if it changed."""
        hotload.reloads += 1
        return auto._auto_update()

    def files(self):
        """The set as it is now, whether it changed or not."""
        return sorted(auto._modules.take())

    def names(self, files):
        return sorted(os.path.relpath(f, self.dir) for f in files or ())


class WhatIsWatched(Auto):
    def test_the_root_and_what_it_imports_at_any_depth(self):
        self.write("app.py", "import models\nimport json\n")
        self.write("models.py", "from helpers import RATE\n")
        self.write("helpers.py", "RATE = 1\n")
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()),
                         ["app.py", "helpers.py", "models.py"])

    def test_standard_library_and_installed_packages_are_left_out(self):
        site = "venv/lib/python3/site-packages"
        self.write(site + "/installed/__init__.py", "import json\n")
        self.write("dist/dist-packages/debian.py", "")
        self.write("app.py", "import installed, debian, json, email.utils\n")
        for d in (site, "dist/dist-packages"):
            sys.path.insert(0, self.path(d))
            self.addCleanup(sys.path.remove, self.path(d))
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py"])
        self.assertEqual(self.names(self.offered), ["app.py"])

    def test_a_project_s_own_virtualenv_is_left_out(self):
        # The current directory holds the project and its .venv.
        site = ".venv/lib/python3/site-packages"
        self.write(site + "/installed.py", "")
        self.write("app.py", "import installed\n")
        sys.path.insert(0, self.path(site))
        self.addCleanup(sys.path.remove, self.path(site))
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py"])

    def test_below_a_prefix_only_the_current_directory_is_the_user_s(self):
        self.write("prefix/lib/stdlike.py", "")
        self.write("prefix/src/project/app.py", "import stdlike\n")
        sys.path.insert(0, self.path("prefix/lib"))
        self.addCleanup(sys.path.remove, self.path("prefix/lib"))
        sys.path.insert(0, self.path("prefix/src/project"))
        self.addCleanup(sys.path.remove, self.path("prefix/src/project"))
        auto._auto_start(["app"], cwd=self.path("prefix/src/project"))
        auto._modules.tops = (self.path("prefix"),)
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()),
                         ["prefix/src/project/app.py"])

    def test_a_prefix_below_the_current_directory_is_left_out(self):
        # hotload run from the home directory, with pyenv's pythons in it.
        self.write("pyenv/lib/stdlike.py", "")
        self.write("app.py", "import stdlike\n")
        sys.path.insert(0, self.path("pyenv/lib"))
        self.addCleanup(sys.path.remove, self.path("pyenv/lib"))
        self.start("app")
        auto._modules.tops = (self.path("pyenv"),)
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py"])

    def test_the_root_is_watched_even_when_installed(self):
        site = "venv/lib/site-packages"
        self.write(site + "/tool.py", "import helper\n")
        self.write(site + "/helper.py", "")
        sys.path.insert(0, self.path(site))
        self.addCleanup(sys.path.remove, self.path(site))
        self.start("tool")
        importlib.import_module("tool")
        self.assertEqual(self.names(self.update()), [site + "/tool.py"])

    def test_packages_and_relative_imports(self):
        self.write("app.py", "from pkg import api\n")
        self.write("pkg/__init__.py", "from . import util\n")
        self.write("pkg/util.py", "")
        self.write("pkg/api.py", "from .sub.deep import f\n")
        self.write("pkg/sub/__init__.py", "")
        self.write("pkg/sub/deep.py", "def f(): pass\n")
        self.write("pkg/unused.py", "")
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()), [
            "app.py", "pkg/__init__.py", "pkg/api.py",
            "pkg/sub/__init__.py", "pkg/sub/deep.py", "pkg/util.py"])

    def test_a_namespace_package_has_no_file_but_its_modules_do(self):
        self.write("ns/mod.py", "")
        self.write("app.py", "import ns.mod\n")
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py", "ns/mod.py"])

    def test_a_zip_import_is_watched_through_the_archive(self):
        archive = self.path("lib.zip")
        with zipfile.ZipFile(archive, "w") as z:
            z.writestr("zipped.py", "VALUE = 1\n")
        sys.path.insert(0, archive)
        self.addCleanup(sys.path.remove, archive)
        self.addCleanup(sys.modules.pop, "zipped", None)
        self.write("app.py", "import zipped\n")
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py", "lib.zip"])

    def test_modules_without_a_file_of_their_own(self):
        ext = importlib.machinery.ExtensionFileLoader("x", "/p/x.so")
        self.assertIsNone(auto._file_of_spec(ext, "/p/x.so"))
        self.assertIsNone(auto._file_of_spec(
            importlib.machinery.BuiltinImporter, "built-in"))
        self.assertIsNone(auto._file_of_spec(
            importlib.machinery.FrozenImporter, "frozen"))
        self.assertIsNone(auto._file_of_spec(None, None))
        self.assertIsNone(auto._file_of(sys))
        self.assertEqual(auto._file_of_spec(None, "/p/mod.py"), "/p/mod.py")


class TakenAgain(Auto):
    def test_a_module_no_longer_imported_leaves(self):
        self.write("helper.py", "")
        self.write("app.py", "import helper\n")
        self.start("app")
        module = importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py", "helper.py"])
        self.write("app.py", "X = 1\n")
        importlib.reload(module)
        self.changed("app.py")
        self.assertEqual(self.names(auto._auto_update()), ["app.py"])
        self.assertIn("helper", sys.modules)  # imported, but not by app

    def test_a_lazy_import_joins_once_it_ran(self):
        self.write("lazy.py", "")
        self.write("app.py", "def main():\n    import lazy\n")
        self.start("app")
        app = importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py"])
        app.main()
        self.assertEqual(self.names(self.offered), ["app.py", "lazy.py"])
        self.assertEqual(self.names(self.update()), ["app.py", "lazy.py"])

    def test_a_module_imported_by_a_call_stays_while_its_importer_does(self):
        self.write("plugin.py", "")
        self.write("app.py", "import importlib\n"
                   "importlib.import_module('plug' + 'in')\n")
        self.start("app")
        module = importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py", "plugin.py"])
        # Reloaded, app imports it again, by a call that finds it in
        # sys.modules this time.
        self.write("app.py", "import importlib\n"
                   "importlib.import_module('plug' + 'in')\nX = 2\n")
        importlib.reload(module)
        self.changed("app.py")
        auto._auto_update()
        self.assertEqual(self.names(self.files()), ["app.py", "plugin.py"])

    def test_a_module_first_imported_by_others_code_is_a_root(self):
        # A framework (here, code whose module is json) imports the user's
        # module: it is watched, though no watched module imports it.
        self.write("view.py", "")
        self.write("app.py", "")
        self.start("app")
        importlib.import_module("app")
        exec("import view", {"__name__": "json"})
        self.assertEqual(self.names(self.update()), ["app.py", "view.py"])

    def test_a_failed_import_is_watched_through_the_file_it_was_found_at(self):
        self.write("broken.py", "def f(:\n")
        self.write("app.py", "import broken\n")
        self.start("app")
        with self.assertRaises(SyntaxError):
            importlib.import_module("app")
        self.assertNotIn("app", sys.modules)
        self.assertEqual(self.names(self.update()), ["app.py", "broken.py"])
        # Mended, it is an import as any other.
        self.write("broken.py", "def f(): pass\n")
        importlib.import_module("app")
        self.assertEqual(self.update(), None)
        self.assertEqual(self.names(self.files()), ["app.py", "broken.py"])

    def test_a_root_that_fails_to_import_is_watched(self):
        self.write("app.py", "x = = 1\n")
        self.start("app")
        with self.assertRaises(SyntaxError):
            importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py"])

    def test_a_root_not_imported_yet_is_found_without_importing(self):
        self.write("pkg/__init__.py", "raise RuntimeError('imported')\n")
        self.write("pkg/app.py", "")
        self.assertEqual(self.start("pkg.app", "missing"),
                         [self.path("pkg/app.py"), None])
        self.assertNotIn("pkg", sys.modules)

    def test_nothing_new_costs_no_look(self):
        self.write("app.py", "")
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(self.update()), ["app.py"])
        self.assertIsNone(self.update())
        # A round whose changes leave the set as it is.
        self.changed("app.py")
        self.assertIsNone(auto._auto_update())


class Finder(Auto):
    def test_files_are_offered_as_modules_are_found_before_they_run(self):
        # helper copies the list of files offered so far (the list whose
        # append stands for C's _auto_offer) as it runs.
        self.write("helper.py", "import hotload\nOFFERED = list(hotload."
                   "_auto_offer.__self__)\n")
        self.write("app.py", "import helper\n")
        self.start("app")
        importlib.import_module("app")
        self.assertEqual(self.names(sys.modules["helper"].OFFERED),
                         ["app.py", "helper.py"])

    def test_the_user_s_modules_are_loaded_fresh_others_as_they_were(self):
        self.write("app.py", "import json\n")
        self.start("app")
        app = importlib.import_module("app")
        self.assertIsInstance(app.__spec__.loader,
                              hotload.reloading._FreshLoader)
        self.assertIs(sys.modules["json"].__spec__.loader.__class__,
                      importlib.machinery.SourceFileLoader)

    def test_reloads_and_modules_found_elsewhere_are_not_noted(self):
        self.write("app.py", "")
        self.start("app")
        app = importlib.import_module("app")
        self.offered.clear()
        importlib.reload(app)
        self.assertEqual(self.offered, [])
        self.assertIsNone(auto._Finder.find_spec("no_such_module_here"))

    def test_stopped_it_leaves_sys_meta_path(self):
        self.start("app")
        self.assertIs(sys.meta_path[0], auto._Finder)
        auto._auto_stop()
        self.assertNotIn(auto._Finder, sys.meta_path)
        self.assertIsNone(auto._auto_update())


class Importer(TestCase):
    def test_the_frame_that_asked_is_found_past_the_import_system(self):
        names = []
        code = compile("names.append(importer(1))", "<user>", "exec")
        exec(code, {"__name__": "mine", "names": names,
                    "importer": auto._importer})
        self.assertEqual(names, ["mine"])
        scope = {"__name__": "hotload.x", "importer": auto._importer,
                 "names": names}
        exec(code, scope)
        self.assertEqual(names[-1], __name__)

    def test_imports_in_a_source(self):
        path = self.write("pkg/mod.py", "import a.b.c\nfrom . import x\n"
                          "from .y import z\nfrom q import *\n"
                          "def f():\n    import lazy\n")
        self.assertEqual(auto._imports_in(path, "pkg"), {
            "a", "a.b", "a.b.c", "pkg", "pkg.x", "pkg.y", "pkg.y.z", "q",
            "lazy"})
        broken = self.write("broken.py", "def f(:\n")
        self.assertIsNone(auto._imports_in(broken, ""))
        self.assertIsNone(auto._imports_in(self.path("none.py"), ""))

    def test_the_lines_imports_are_on(self):
        source = (b"import a\n"
                  b"x = 1  # an important line\n"
                  b"from b import (c,\n"
                  b"    d)\n"
                  b"from e import f, \\\n"
                  b"    g\n"
                  b"def h():\n"
                  b"    if x: import i\n"
                  b"importlib.import_module('j')\n")
        self.assertEqual(auto._import_lines(source), [
            b"import a", b"from b import (c,\n    d)",
            b"from e import f, \\\n    g", b"    if x: import i"])


class Sources(Auto):
    """What a module imports is read again only when its imports may have
    changed."""

    def setUp(self):
        super().setUp()
        self.parsed = []
        real = auto._imports_in

        def counted(path, package, source=None):
            self.parsed.append(os.path.basename(path))
            return real(path, package, source)
        self.addCleanup(setattr, auto, "_imports_in", real)
        auto._imports_in = counted
        self.start("app")

    def save(self, text):
        path = self.write("app.py", text)
        st = os.stat(path)
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        return sorted(auto._modules.imports("app", path))

    def test_an_edit_elsewhere_costs_no_parse(self):
        self.assertEqual(self.save("import a\nx = 1\n"), ["a"])
        self.assertEqual(self.save("import a\nx = 2\n"), ["a"])
        self.assertEqual(self.parsed, ["app.py"])

    def test_an_edit_to_an_import_is_read(self):
        self.save("from p import (a,\n  b)\n")
        self.assertEqual(self.save("from p import (a,\n  c)\n"),
                         ["p", "p.a", "p.c"])
        self.assertEqual(self.parsed, ["app.py", "app.py"])

    def test_a_source_that_did_not_parse_is_parsed_again(self):
        self.assertEqual(self.save("import a\nx = = 1\n"), [])
        self.assertEqual(self.save("import a\nx = 1\n"), ["a"])
        self.assertEqual(self.parsed, ["app.py", "app.py"])


if __name__ == "__main__":
    import unittest
    unittest.main()
