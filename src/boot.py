# boot.py: Python half of the hotload module, run once when it is created.
# Modules whose files hotload watches are loaded through _FreshLoader, so a
# reload always runs the code that is on disk.
import importlib
import importlib.machinery
import importlib.util
import os
import sys


class _FreshLoader(importlib.machinery.SourceFileLoader):
    """Load a module from its source unless its .pyc is surely current.

    A .pyc records its source's mtime in whole seconds and its size, so an
    edit that keeps the size within the second the .pyc was written in looks
    unchanged. A .pyc is trusted only if it was written in a later second
    than its source was last changed.
    """

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        try:
            source = int(os.stat(path).st_mtime)
            cached = int(os.stat(importlib.util.cache_from_source(path)).st_mtime)
        except (OSError, NotImplementedError, ValueError):
            cached = source = 0
        if cached > source:
            return super().get_code(fullname)
        return self.source_to_code(self.get_data(path), path)

    def set_data(self, path, data, *, _mode=0o666):
        pass  # hotload writes nothing beside the user's files


class _WatchedFinder:
    """Find modules as the path finder does; load watched ones fresh."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if (spec is not None
                and type(spec.loader) is importlib.machinery.SourceFileLoader
                and _is_watched(spec.origin)):
            spec.loader = _FreshLoader(spec.name, spec.origin)
        return spec

    @classmethod
    def invalidate_caches(cls):
        pass


def _install_finder():
    meta = sys.meta_path
    if _WatchedFinder in meta:
        return
    for i, finder in enumerate(meta):
        if finder is importlib.machinery.PathFinder:
            meta.insert(i, _WatchedFinder)
            return
    meta.append(_WatchedFinder)


_install_finder()
