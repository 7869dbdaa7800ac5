# boot.py: the Python half of the hotload module, run once when the module
# is made, in the hotload program and in a Python that imports the module.
#
# It holds what is simplest to say in Python: how a watched module is loaded
# fresh from its source, how changed modules are reloaded in the order of
# their imports, keep(), and the step classes of hotload's Python API. The
# rounds, the watching and the commands are the C part's.
import ast
import importlib
import importlib.machinery
import importlib.util
import inspect
import os
import sys
import types

running = False  # True while hotload runs rounds in this interpreter
reloads = 0  # reloads so far: 0 while modules are first imported
changed = ()  # the files changed in this round, as commands get them
_changed_paths = ()  # the same, absolute


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


def _source_imports(module):
    """The names of the modules that module's source imports, as far as its
    import statements say."""
    path = getattr(module, "__file__", None)
    try:
        with open(path, "rb") as f:
            tree = ast.parse(f.read(), path)
    except (OSError, TypeError, ValueError, SyntaxError):
        return set()
    package = getattr(module, "__package__", None) or ""
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
            names.update(base + "." + alias.name for alias in node.names)
    return names


def _in_dependency_order(modules):
    """modules sorted so that each comes after the ones it imports, and
    after its package; modules in an import cycle keep their order."""
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
    wanted = {os.path.normpath(p) for p in _changed_paths}
    found = []
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and os.path.normpath(
                os.path.abspath(path)) in wanted:
            found.append(module)
    return found


def _reloaded_this_round(name):
    """Did a ReloadModules step (or -R) reload the module this round?"""
    return (_reloaded_in_round[0] == reloads
            and name in _reloaded_in_round[1])


def _reload_changed(skip=()):
    """Reload the imported modules whose files changed in this round,
    dependencies before the modules that import them, once a round; the
    modules in skip are left to their own steps."""
    done = _reloaded_in_round
    if done[0] != reloads:
        done[0], done[1] = reloads, set()
    for module in _in_dependency_order(_changed_modules()):
        if module in skip or module.__name__ in done[1]:
            continue
        done[1].add(module.__name__)
        importlib.reload(module)


# -- The steps of the Python API --------------------------------------------


class Runnable(object):
    """A step of hotload(): its run() is called in every round."""

    def run(self, **kwargs):
        raise NotImplementedError


class PythonHandle(Runnable):
    """A step that calls code() in every round."""

    def __init__(self, code):
        self.code = code

    def run(self, **kwargs):
        self.code()

    def __repr__(self):
        return "PythonHandle(%r)" % (self.code,)


class Command(Runnable):
    """A step that runs a shell command; the files that changed are its
    "$@" and $HOTLOAD_CHANGED. hotload() runs it itself; run() runs it
    with os.system outside of hotload()."""

    def __init__(self, command):
        self.command = command

    def run(self, **kwargs):
        os.system(self.command)

    def __repr__(self):
        return "Command(%r)" % (self.command,)


class ClearTerminal(Runnable):
    """A step that clears the terminal and its scrollback."""

    def run(self, **kwargs):
        sys.stdout.write("\033[H\033[2J\033[3J")
        sys.stdout.flush()

    def __repr__(self):
        return "ClearTerminal()"


class ReloadedPythonModule(Runnable):
    """A step that imports a module in the first round and reloads it in
    the later ones, calling pre_reload_hook(module) before each reload and
    post_reload_hook(module) after each import or reload. Subclass it and
    override the hooks to clean up and to start the module's work."""

    recursive = False  # reload the changed modules it imports first

    def __init__(self, module):
        if isinstance(module, types.ModuleType):
            self.name, self.module = module.__name__, module
        elif isinstance(module, str):
            self.name, self.module = module, None
        else:
            raise TypeError("ReloadedPythonModule takes a module or the name "
                            "of one, not %r" % (module,))

    @classmethod
    def from_module_name(cls, module_name):
        """The step for the module named module_name, imported in the first
        round (not now, so that an error in it does not stop the script)."""
        return cls(module_name)

    def pre_reload_hook(self, module):
        pass

    def post_reload_hook(self, module):
        pass

    def function(self, name):
        """The function called name in the module, as it is now."""
        if self.module is None:
            raise RuntimeError("%s is not imported yet: its first round "
                               "imports it" % self.name)
        return self.module.__dict__[name]

    def load(self):
        """Import the module, or reload it if it was imported; with
        recursive set, reload the changed modules it imports first."""
        if self.recursive:
            _reload_changed(skip=(self.module,))
        if self.module is None:
            self.module = self._first_import()
        elif not _reloaded_this_round(self.name):
            self.module = importlib.reload(self.module)
        return self.module

    def _first_import(self):
        """Import the module as import_module() would, except that a module
        whose first run is interrupted (a server stopped by --restart) is
        kept, so that its pre_reload_hook can clean up after it and the next
        round reloads it."""
        name = self.name
        if name in sys.modules:
            return importlib.import_module(name)
        parent, _, child = name.rpartition(".")
        if parent:
            importlib.import_module(parent)
        spec = importlib.util.find_spec(name)
        if spec is None:
            raise ModuleNotFoundError("No module named %r" % name, name=name)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        try:
            spec.loader.exec_module(module)
        except KeyboardInterrupt:
            self.module = module
            raise
        except BaseException:
            sys.modules.pop(name, None)
            raise
        if parent:
            setattr(sys.modules[parent], child, module)
        return sys.modules[name]

    def run(self, **kwargs):
        if self.module is not None:
            self.pre_reload_hook(self.module)
        self.post_reload_hook(self.load())

    def __repr__(self):
        return "%s(%r)" % (type(self).__name__, self.name)


class ReloadModules(Runnable):
    """A step that reloads the modules whose files changed in this round,
    dependencies first, except module, which has its own step."""

    def __init__(self, module=None):
        self.main_module = module

    def run(self, **kwargs):
        main = self.main_module
        if isinstance(main, ReloadedPythonModule):
            main = main.module
        _reload_changed(skip=(main,))

    def __repr__(self):
        return "ReloadModules()"


def _call(module, dotted):
    """Call the function of module named by a dotted name."""
    target = module
    for part in dotted.split("."):
        target = getattr(target, part)
    return target()


class _CommandLineModule(ReloadedPythonModule):
    """A --module step: its hooks are functions of the module, by name."""

    def __init__(self, name, pre_hook=None, post_hook=None, recursive=False):
        super().__init__(name)
        self.pre_hook, self.post_hook = pre_hook, post_hook
        self.recursive = recursive

    def pre_reload_hook(self, module):
        if self.pre_hook:
            _call(module, self.pre_hook)

    def post_reload_hook(self, module):
        if self.post_hook:
            _call(module, self.post_hook)


def _run_step(step):
    """Run a step of hotload() that hotload does not run itself: call its
    run(), with changed_modules= if it takes that (as the steps of the
    tool hotload grew from did), or call it if it is a plain function."""
    run = getattr(step, "run", None)
    if run is None:
        return step()
    try:
        params = inspect.signature(run).parameters.values()
    except (TypeError, ValueError):
        return run()
    if any(p.kind is p.VAR_KEYWORD or p.name == "changed_modules"
           for p in params):
        return run(changed_modules=_changed_modules())
    return run()


_wakeup_before = []


def _session(fd):
    """hotload() starts (fd >= 0: the C part's wake-up pipe) or ends."""
    global running
    import signal
    if fd >= 0:
        _wakeup_before[:] = [signal.set_wakeup_fd(
            fd, warn_on_full_buffer=False)]
        running = True
    else:
        running = False
        signal.set_wakeup_fd(_wakeup_before.pop() if _wakeup_before else -1)


def _forget_listings():
    """New files appeared: let the import system look at directories
    again."""
    importlib.invalidate_caches()


# -- The prompt of --repl ---------------------------------------------------

_repl_names = []  # the --module names
_repl_namespace = {}


def _repl_start(names, history):
    """Make the prompt's namespace, and set up readline with a history
    file. Returns whether readline edits the lines."""
    import atexit
    import signal
    signal.set_wakeup_fd(-1)  # Ctrl-C at the prompt is the prompt's
    _repl_names[:] = names
    _repl_namespace.clear()
    _repl_namespace.update(__name__="__console__", __doc__=None)
    _repl_refresh(False)
    try:
        import readline
        import rlcompleter
    except ImportError:
        return False
    readline.set_completer(rlcompleter.Completer(_repl_namespace).complete)
    readline.parse_and_bind("tab: complete")
    try:
        readline.read_history_file(history)
    except OSError:
        pass

    def save_history():
        try:
            readline.write_history_file(history)
        except OSError:
            pass
    atexit.register(save_history)
    return sys.stdin.isatty()


def _repl_refresh(redraw):
    """After a round: each --module under its name, and the first one's
    public names, as from lib import * would give them. With redraw, write
    the prompt and the line typed so far again."""
    ns = _repl_namespace
    for name in _repl_names:
        top = name.split(".")[0]
        if top in sys.modules:
            ns[top] = sys.modules[top]
    first = sys.modules.get(_repl_names[0]) if _repl_names else None
    if first is not None:
        public = getattr(first, "__all__", None) or [
            n for n in vars(first) if not n.startswith("_")]
        for name in public:
            if hasattr(first, name):
                ns[name] = getattr(first, name)
    if redraw:
        try:
            import readline
            line = readline.get_line_buffer()
        except ImportError:
            line = ""
        sys.stdout.write(getattr(sys, "ps1", ">>> ") + line)
        sys.stdout.flush()


def _repl():
    """The prompt, until exit() or Ctrl-D."""
    import code
    first = _repl_names[0] if _repl_names else None
    here = ("%s and its names are here, and follow every save.\n" % first
            if first else "Saves still run rounds.\n")
    code.interact(banner="hotload %s, Python %s. %sexit() or Ctrl-D "
                  "leaves." % (__version__, sys.version.split()[0], here),
                  local=_repl_namespace, exitmsg="")


def listfiles(folder, ext=""):
    """The paths of the files below folder whose names end in ext."""
    found = []
    for root, dirs, files in os.walk(folder):
        found.extend(os.path.join(root, f) for f in files if f.endswith(ext))
    return found


_install_finder()
