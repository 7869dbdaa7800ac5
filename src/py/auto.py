# auto.py: --auto, the files of the modules the program imports.
#
# The modules of the --module steps are the roots. A module's file is
# watched when the module is reached from a root through imports, and the
# file is the user's: the module is not built in, frozen, an extension or a
# namespace package, and its file is not below the interpreter's prefixes,
# nor in a site-packages or dist-packages directory. A file below the
# current directory is the user's even when the interpreter's prefix holds
# the current directory (a project in /usr/src), or when it was found
# through a .pth file (an editable install), unless it is in a
# site-packages there (a project's .venv). A root's own file is watched
# whatever it is. A module found in a zip archive is watched through the
# archive.
#
# What a module imports is what the import statements of its source name,
# wherever they are (a lazy import inside a function too), read with ast
# and kept until the file changes; and what it imported by a call
# (importlib.import_module), which _Finder sees. A module that code outside
# the user's files imported for the first time (a framework loading the
# user's modules, the prompt of --repl) counts as a root.
#
# _Finder stands first on sys.meta_path. It finds what the finders after it
# find, and notes each of the user's modules imported for the first time,
# as it is found: its file is offered to C at once (_auto_offer), so that it
# is watched even while the step that imports it still runs (a server
# started by the first round). A module that then fails to import (a syntax
# error) is watched through the file it was found at, for as long as a
# watched module imports it.
#
# After every round, C calls _auto_update(), which takes the set again when
# sys.modules grew or shrank, a module was found, or files changed: a module
# no longer imported leaves it. Otherwise it costs a few comparisons.
import ast
import importlib
import importlib.machinery
import os
import sys
import zipimport

import hotload
from hotload import reloading

_PACKAGE_DIRS = ("site-packages", "dist-packages")
_NOT_FILES = (importlib.machinery.BuiltinImporter,
              importlib.machinery.FrozenImporter)


def _under(path, top):
    """Is path top, or below it?"""
    return path == top or path.startswith(top if top.endswith(os.sep)
                                          else top + os.sep)


def _interpreter_dirs():
    """Where the interpreter's own files are: its prefixes, and its
    standard library's directory, as given and with links resolved."""
    dirs = set()
    for d in (sys.prefix, sys.base_prefix, sys.exec_prefix,
              getattr(sys, "base_exec_prefix", None),
              os.path.dirname(os.__file__)):
        if d:
            dirs.add(os.path.abspath(d))
            dirs.add(os.path.realpath(d))
    return tuple(sorted(dirs))


def _file_of_spec(loader, origin):
    """The file to watch for a module with this loader and origin, or None
    for one that has none (built in, frozen, an extension, a namespace
    package)."""
    if loader in _NOT_FILES or not isinstance(origin, str):
        return None
    if isinstance(loader, zipimport.zipimporter):
        archive = getattr(loader, "archive", None)
        return os.path.abspath(archive) if archive else None
    if isinstance(loader, importlib.machinery.ExtensionFileLoader) or \
            origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)):
        return None
    if origin in ("built-in", "frozen", "namespace", "") or \
            origin.startswith("<"):
        return None
    return os.path.abspath(origin)


def _file_of(module):
    """The file to watch for a module in sys.modules, or None. The
    module's attributes are read from its __dict__, so that a lazily loaded
    module is not loaded by looking at it."""
    try:
        d = object.__getattribute__(module, "__dict__")
    except Exception:
        return None
    spec = d.get("__spec__")
    if spec is not None:
        origin = getattr(spec, "origin", None)
        if not getattr(spec, "has_location", True):
            origin = None
        return _file_of_spec(getattr(spec, "loader", None), origin)
    return _file_of_spec(d.get("__loader__"), d.get("__file__"))


def _import_lines(source):
    """The lines of source (bytes) that the word import is on, each with
    the lines that its parentheses or backslashes carry it on to: all that
    the meaning of its import statements depends on, found at a small part
    of the cost of parsing it."""
    found = []
    end = at = 0
    while True:
        at = source.find(b"import", at)
        if at < 0:
            return found
        after = at + 6
        if at < end or _word_byte(source, at - 1) or \
                _word_byte(source, after):
            at = after
            continue
        start = source.rfind(b"\n", 0, at) + 1
        end = after
        while True:
            nl = source.find(b"\n", end)
            if nl < 0:
                end = len(source)
                break
            piece = source[start:nl].rstrip(b"\r")
            if piece.count(b"(") <= piece.count(b")") and \
                    not piece.endswith(b"\\"):
                end = nl
                break
            end = nl + 1
        found.append(source[start:end])
        at = end


def _word_byte(source, i):
    """Is the byte at i of source part of a word (a name)?"""
    return 0 <= i < len(source) and (source[i:i + 1].isalnum() or
                                     source[i:i + 1] == b"_")


def _imports_in(path, package, source=None):
    """The modules that the source at path (or source, its bytes) imports,
    by its import statements (those inside functions too), and the
    packages above them; package resolves relative imports. None if the
    source cannot be read or parsed."""
    try:
        if source is None:
            with open(path, "rb") as f:
                source = f.read()
        tree = ast.parse(source, path)
    except (OSError, ValueError, SyntaxError, RecursionError,
            MemoryError):
        return None
    names = reloading._imported_names(tree, package)
    found = set()
    for name in names:
        parts = name.split(".")
        found.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return frozenset(found)


def _locate(name):
    """The file of module name, found as the import system would find it,
    but without importing anything (a package above it included); None if
    it cannot be found that way."""
    path = None
    parts = name.split(".")
    for i in range(1, len(parts) + 1):
        full = ".".join(parts[:i])
        module = sys.modules.get(full)
        if module is not None:
            if i == len(parts):
                return _file_of(module)
            path = getattr(module, "__path__", None)
            if path is None:
                return None
            continue
        try:
            spec = importlib.machinery.PathFinder.find_spec(full, path)
        except (ImportError, ValueError, OSError):
            return None
        if spec is None:
            return None
        if i == len(parts):
            return _file_of_spec(spec.loader, spec.origin
                                 if spec.has_location else None)
        path = spec.submodule_search_locations
        if path is None:
            return None
    return None


# The directory of the import system's files, whose frames stand between an
# import statement or call and the code that made it.
_MACHINERY = os.path.dirname(importlib.__file__) + os.sep


def _importer(depth):
    """The name of the module whose code asked for the import being made,
    looking from the frame depth levels up: the first frame that is neither
    the import system's nor hotload's. None if there is none."""
    try:
        frame = sys._getframe(depth)
    except ValueError:
        return None
    while frame is not None:
        name = frame.f_globals.get("__name__")
        path = frame.f_code.co_filename
        if not (path.startswith("<frozen") or path.startswith(_MACHINERY)
                or not isinstance(name, str) or name == "hotload"
                or name.startswith("hotload.")):
            return name
        frame = frame.f_back
    return None


class _Modules:
    """The modules of a session with --auto, and the files to watch."""

    def __init__(self, roots, cwd):
        self.roots = tuple(roots)
        self.cwd = cwd
        self.tops = _interpreter_dirs()
        self.dirs = {}  # directory -> are its files the user's?
        self.seen = {}  # name -> (module, its file if the user's) in
        #                 sys.modules, when last looked at
        self.users = {}  # name -> file: the user's modules in sys.modules
        self.found = {}  # name -> file: the user's modules found for a
        #                  first import (some may have failed)
        self.called = {}  # module -> names it imported by a call
        self.outside = set()  # names imported first by others' code
        self.sources = {}  # file -> (stat, its import lines, what its
        #                    source imports)
        self.offered = set()  # files in the last set or offered since
        self.nmodules = -1  # len(sys.modules) when last looked at
        self.round = None  # hotload.reloads at the last update
        self.dirty = True  # a module was found since the last update
        self.last = None  # the last set taken

    def is_users(self, path):
        """Is the file at path (absolute) the user's?"""
        d = os.path.dirname(path)
        mine = self.dirs.get(d)
        if mine is None:
            mine = self._is_users_dir(d)
            self.dirs[d] = mine
        return mine

    def _is_users_dir(self, d):
        parts = d.split(os.sep)
        if any(p in parts for p in _PACKAGE_DIRS):
            return False
        here = _under(d, self.cwd)
        for top in self.tops:
            if _under(d, top) and not (here and _under(self.cwd, top)):
                return False
        return True

    def module_file(self, name):
        """The user's file of the module name in sys.modules, or None."""
        module = sys.modules.get(name)
        hit = self.seen.get(name)
        if hit is None or hit[0] is not module:
            path = _file_of(module) if module is not None else None
            hit = (module, path if path and self.is_users(path) else None)
            self.seen[name] = hit
        return hit[1]

    def scan(self):
        """Look at sys.modules again: which of its modules are the
        user's."""
        seen, users = {}, {}
        old = self.seen
        for name, module in list(sys.modules.items()):
            hit = old.get(name)
            if hit is None or hit[0] is not module:
                path = _file_of(module) if module is not None else None
                hit = (module, path if path and self.is_users(path)
                       else None)
            seen[name] = hit
            if hit[1] is not None:
                users[name] = hit[1]
        self.seen, self.users = seen, users
        self.nmodules = len(sys.modules)

    def imports(self, name, path):
        """What the module name, whose file is path, imports by its
        source, as far as that can be read. The source is parsed again
        only when the lines its imports are on changed: an edit to the
        rest costs a read."""
        if not path.endswith(".py"):
            return frozenset()
        try:
            st = os.stat(path)
            key = (st.st_mtime_ns, st.st_size, st.st_ino)
            hit = self.sources.get(path)
            if hit is not None and hit[0] == key:
                return hit[2] or frozenset()
            with open(path, "rb") as f:
                source = f.read()
        except OSError:
            return frozenset()
        lines = _import_lines(source)
        if hit is not None and hit[1] == lines and hit[2] is not None:
            names = hit[2]
        else:
            package = name if os.path.basename(path) == "__init__.py" \
                else name.rpartition(".")[0]
            names = _imports_in(path, package, source)
        self.sources[path] = (key, lines, names)
        return names or frozenset()

    def on_found(self, name, spec, depth):
        """The import system found spec for name, to import it for the
        first time: note it, and offer its file, if it is the user's."""
        origin = spec.origin if spec.has_location else None
        path = _file_of_spec(spec.loader, origin)
        if path is None or not (self.is_users(path) or name in self.roots):
            return
        if type(spec.loader) is importlib.machinery.SourceFileLoader:
            spec.loader = reloading._FreshLoader(spec.name, spec.origin)
        self.found[name] = path
        self.dirty = True
        importer = _importer(depth + 1)
        if importer is None or self.module_file(importer) is None:
            self.outside.add(name)
        else:
            source = self.module_file(importer)
            if name not in self.imports(importer, source):
                self.called.setdefault(importer, set()).add(name)
        if path not in self.offered:
            self.offered.add(path)
            hotload._auto_offer(path)

    def root_file(self, name):
        """The file of the root module name, whosever it is: from
        sys.modules, from its import, or found without importing."""
        module = sys.modules.get(name)
        if module is not None:
            return _file_of(module)
        return self.found.get(name) or _locate(name)

    def take(self):
        """The files of the modules reached from the roots, as a set."""
        if len(sys.modules) != self.nmodules:
            self.scan()
        nodes = {name: path for name, path in self.found.items()
                 if name not in sys.modules}
        nodes.update(self.users)
        files = set()
        todo = list(self.roots) + sorted(self.outside)
        done = set()
        while todo:
            name = todo.pop()
            if name in done:
                continue
            done.add(name)
            path = nodes.get(name)
            if path is None:
                if name in self.roots:
                    path = self.root_file(name)
                    if path is not None:
                        files.add(path)
                        todo.extend(self.imports(name, path))
                continue
            files.add(path)
            parent = name.rpartition(".")[0]
            if parent:
                todo.append(parent)
            todo.extend(self.imports(name, path))
            todo.extend(self.called.get(name, ()))
        return files

    def update(self):
        """The files to watch, sorted, if the set changed since the last
        time; None if it did not."""
        changed = self.round != hotload.reloads and \
            bool(hotload._changed_paths)
        self.round = hotload.reloads
        if not (self.dirty or changed or
                len(sys.modules) != self.nmodules):
            return None
        self.dirty = False
        files = self.take()
        if files == self.last:
            return None
        self.last = files
        self.offered = set(files)
        return sorted(files)


_modules = None  # the session's _Modules, once --auto starts


class _Finder:
    """First on sys.meta_path with --auto: finds a module not imported yet
    as the finders after it do, and notes it (_Modules.on_found)."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        modules = _modules
        if modules is None or name in sys.modules:
            return None  # a reload, or --auto is off
        spec = None
        for finder in list(sys.meta_path):
            if finder is cls:
                continue
            find = getattr(finder, "find_spec", None)
            if find is None:
                return None  # an old finder: the import system asks it
            spec = find(name, path, target)
            if spec is not None:
                break
        if spec is not None:
            try:
                modules.on_found(name, spec, 2)
            except Exception:
                pass  # watching is not worth a failed import
        return spec

    @classmethod
    def invalidate_caches(cls):
        pass


def _auto_start(roots, cwd=None):
    """--auto starts, for the modules named roots, in the directory cwd
    (the current one): note the modules imported from now on. Returns the
    file of each root, or None for one whose file cannot be found."""
    global _modules
    _modules = _Modules(roots, os.path.abspath(cwd or os.getcwd()))
    if _Finder not in sys.meta_path:
        sys.meta_path.insert(0, _Finder)
    return [_modules.root_file(name) for name in roots]


def _auto_update():
    """After a round: the files to watch now, sorted, or None if they are
    the same as after the last round."""
    if _modules is None:
        return None
    return _modules.update()


def _auto_stop():
    """--auto ends (in tests): nothing is noted any more."""
    global _modules
    _modules = None
    while _Finder in sys.meta_path:
        sys.meta_path.remove(_Finder)
