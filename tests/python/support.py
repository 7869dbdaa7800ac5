# support.py: what the unit tests of the Python half share. Importing it
# imports hotload from its sources (src/py), with the stubs that stand for
# the C part, and gives a test case that writes modules to import.
import importlib
import os
import shutil
import sys
import tempfile
import unittest

SOURCE_DIR = os.path.normpath(os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PY_DIR = os.path.join(SOURCE_DIR, "src", "py")

sys.path.insert(0, PY_DIR)
import hotload  # noqa: E402

if os.path.dirname(os.path.abspath(hotload.__file__)) != PY_DIR:
    raise ImportError("hotload came from %s, not from %s" %
                      (hotload.__file__, PY_DIR))


class TestCase(unittest.TestCase):
    """A test with a directory of its own on sys.path, where write() puts
    modules; the modules imported from it are forgotten afterwards, and
    the round's values of hotload are put back."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hotload-unit-")
        self.addCleanup(shutil.rmtree, self.dir, ignore_errors=True)
        sys.path.insert(0, self.dir)
        self.addCleanup(sys.path.remove, self.dir)
        self.addCleanup(self.forget_modules)
        for name in ("reloads", "changed", "_changed_paths", "_is_watched"):
            self.addCleanup(setattr, hotload, name, getattr(hotload, name))
        hotload.reloading._reloaded_in_round[:] = [None, set()]
        importlib.invalidate_caches()

    def forget_modules(self):
        for name, module in list(sys.modules.items()):
            path = getattr(module, "__file__", None) or ""
            if path.startswith(self.dir + os.sep):
                del sys.modules[name]

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        """Write text to the file name (a/b.py) below the directory."""
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path

    def changed(self, *names):
        """Start a round in which the files names changed."""
        hotload.reloads += 1
        hotload._changed_paths = tuple(self.path(n) for n in names)
        hotload.changed = names
