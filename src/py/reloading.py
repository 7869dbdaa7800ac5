# reloading.py: how hotload loads and reloads the user's modules.
#
# Watched modules are loaded fresh from their source (_FreshLoader), changed
# modules are reloaded after the modules they import, and every reload
# hotload makes goes through _reload(). keep() holds values across reloads.
import ast
import importlib
import importlib.machinery
import importlib.util
import os
import sys

import hotload  # the package: C sets its round's values and _is_watched
from hotload import patch

# What C sets at start: patch reloads (--no-patch turns it off), and say
# what was patched (-v).
_patching = True
_verbose = False


class _FreshLoader(importlib.machinery.SourceFileLoader):
    """Load a module from its source unless its .pyc is surely current.

    A .pyc records its source's mtime in whole seconds and its size, so an
    edit that keeps the size within the second the .pyc was written in looks
    unchanged. A .pyc is trusted only if it was written in a later second
    than its source was last changed.

    A watched module gets this loader whoever imports or reloads it: the
    user's own importlib.reload() too.
    """

    def get_code(self, fullname):
        path = self.get_filename(fullname)
        try:
            source = int(os.stat(path).st_mtime)
            pyc = importlib.util.cache_from_source(path)
            cached = int(os.stat(pyc).st_mtime)
        except (OSError, NotImplementedError, ValueError):
            cached = source = 0
        if cached > source:
            code = super().get_code(fullname)
        else:
            code = self.source_to_code(self.get_data(path), path)
        self._code = code
        return code

    def set_data(self, path, data, *, _mode=0o666):
        pass  # hotload writes nothing beside the user's files

    def exec_module(self, module):
        """Run the module; after its first run, note what its source binds,
        so that its first reload knows which names a new source drops."""
        first = "__builtins__" not in module.__dict__
        self._code = None
        super().exec_module(module)
        if first:
            patch.track(module, self._code)


class _WatchedFinder:
    """Find modules as the path finder does; load watched ones fresh."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if (spec is not None
                and type(spec.loader) is importlib.machinery.SourceFileLoader
                and hotload._is_watched(spec.origin)):
            spec.loader = _FreshLoader(spec.name, spec.origin)
        return spec

    @classmethod
    def invalidate_caches(cls):
        pass


def _install_finder():
    """Put _WatchedFinder before the path finder, once."""
    meta = sys.meta_path
    if _WatchedFinder in meta:
        return
    for i, finder in enumerate(meta):
        if finder is importlib.machinery.PathFinder:
            meta.insert(i, _WatchedFinder)
            return
    meta.append(_WatchedFinder)


def _reload(module, patching=None):
    """Reload module from its source and return it, so that what still
    holds its old functions and classes runs the new code (unless patching
    is off: --no-patch, or a step's patch=False). Every reload of a watched
    module goes through here: a module step's load(), -R, ReloadModules,
    and the user's own importlib.reload() while hotload runs."""
    if patching is None:
        patching = _patching
    module, report = patch.reload(module, patch=patching)
    summary = report.summary(module.__name__) if _verbose else None
    if summary:
        sys.stderr.write("hotload: %s\n" % summary)
        sys.stderr.flush()
    return module


_importlib_reload = importlib.reload


def _user_reload(module):
    """importlib.reload while hotload runs: a watched module is reloaded as
    hotload reloads it."""
    path = getattr(module, "__file__", None)
    if (isinstance(module, type(sys)) and isinstance(path, str)
            and hotload._is_watched(os.path.abspath(path))):
        return _reload(module)
    return _importlib_reload(module)


def _take_reload(on):
    """Have importlib.reload (and what from importlib import reload takes
    from now on) go through _user_reload, or put it back."""
    importlib.reload = _user_reload if on else _importlib_reload


# -- Values kept across reloads ---------------------------------------------

_kept = {}


def keep(name, make, *args, **kwargs):
    """Return the value kept under name, made by make(*args, **kwargs) the
    first time. The value outlives reloads of the module that keeps it, so
    that a connection or a loaded data set is made once:

        conn = hotload.keep("conn", sqlite3.connect, "data.db")

    Names belong to the module that calls keep(); forget() drops one.
    """
    key = (sys._getframe(1).f_globals.get("__name__"), name)
    if key not in _kept:
        _kept[key] = make(*args, **kwargs)
    return _kept[key]


def forget(name):
    """Drop the value kept under name by the calling module, if any, so
    that the next keep() makes it again. Returns the value, or None."""
    return _kept.pop((sys._getframe(1).f_globals.get("__name__"), name), None)


# -- Reloading the modules that changed, dependencies first ----------------

_reloaded_in_round = [None, set()]  # (round, names reloaded in it)


_imports_seen = {}  # path: ((mtime_ns, size), names its source imports)


def _source_imports(module):
    """The names of the modules that module's source imports, as far as its
    import statements say; read again only when the file changed."""
    path = getattr(module, "__file__", None)
    try:
        st = os.stat(path)
        key = (st.st_mtime_ns, st.st_size)
        seen = _imports_seen.get(path)
        if seen is not None and seen[0] == key:
            return seen[1]
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, TypeError, ValueError, SyntaxError):
        return set()
    names = _imported_names(tree, getattr(module, "__package__", None))
    _imports_seen[path] = (key, names)
    return names


def _imported_names(tree, package):
    """The names of the modules the import statements of tree import."""
    package = package or ""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            try:
                base = importlib.util.resolve_name(base, package)
            except (ImportError, ValueError):
                continue
            names.add(base)
            names.update(base + "." + alias.name for alias in node.names
                         if alias.name != "*")
    return names


def _in_dependency_order(modules):
    """modules sorted so that each comes after the ones it imports, and
    after its package; an import cycle is broken where it is first met."""
    by_name = {m.__name__: m for m in modules}
    needs = {}
    for name, module in by_name.items():
        deps = {d for d in _source_imports(module) if d in by_name}
        deps.update(p for p in by_name if name.startswith(p + "."))
        deps.discard(name)
        needs[name] = deps
    ordered, placed = [], set()

    def place(name, visiting):
        if name in placed or name in visiting:
            return
        visiting.add(name)
        for dep in sorted(needs[name]):
            place(dep, visiting)
        placed.add(name)
        ordered.append(by_name[name])
    for name in by_name:
        place(name, set())
    return ordered


def _changed_modules():
    """The imported modules whose files changed in this round."""
    wanted = {os.path.normpath(p) for p in hotload._changed_paths}
    found = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.normpath(
                os.path.abspath(path)) in wanted:
            found.append(module)
    return found


def _watched_modules():
    """The imported modules whose files hotload watches."""
    found = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and hotload._is_watched(
                os.path.abspath(path)):
            found.append(module)
    return found


def _with_importers(changed):
    """changed, and every watched module that imports one of them, itself
    or through other watched modules: a name copied from a changed module
    (from helpers import RATE) is copied again only if its importer runs
    again."""
    names = {m.__name__ for m in changed}
    found = list(changed)
    others = [m for m in _watched_modules() if m.__name__ not in names]
    grew = True
    while grew:
        grew = False
        for module in others:
            if module.__name__ not in names and \
                    _source_imports(module) & names:
                names.add(module.__name__)
                found.append(module)
                grew = True
    return found


def _reloaded_this_round(name):
    """Did a ReloadModules step (or -R) reload the module this round?"""
    return (_reloaded_in_round[0] == hotload.reloads
            and name in _reloaded_in_round[1])


def _done_this_round():
    """The names of the modules reloaded in this round so far."""
    done = _reloaded_in_round
    if done[0] != hotload.reloads:
        done[0], done[1] = hotload.reloads, set()
    return done[1]


def _reload_changed(skip=()):
    """Reload the imported modules whose files changed in this round, and
    the watched modules that import them, dependencies before the modules
    that import them, once a round. The modules in skip are left to their
    own steps, and so are the ones that import them: those run after the
    step's reload (another -m step's module that imports this one)."""
    done = _done_this_round()
    waiting = {m.__name__ for m in skip if m is not None}
    for module in _in_dependency_order(_with_importers(_changed_modules())):
        name = module.__name__
        if name in waiting or name in done:
            continue
        if _source_imports(module) & waiting:
            waiting.add(name)
            continue
        done.add(name)
        _reload(module)
