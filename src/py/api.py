# api.py: the steps of hotload's Python API, named and shaped as in the tool
# hotload grew from, and listfiles().
import importlib
import importlib.util
import os
import sys
import types

from hotload import reloading


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
    _failed_part = ""  # the part of the last _step_run() that failed

    def __init__(self, module, patch=None):
        # patch: make what holds the module's old code run the new code
        # (True), reload it plainly (False), or as the session says
        # (None: on, unless --no-patch).
        self.patch = patch
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
            reloading._reload_changed(skip=(self.module,))
        if self.module is None:
            self.module = self._first_import()
        elif not reloading._reloaded_this_round(self.name):
            self.module = reloading._reload(self.module, self.patch)
            reloading._done_this_round().add(self.name)
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

    def _part(self, hook):
        """How the status line names the hook ("pre" or "post") when it
        fails."""
        return "%s_reload_hook: " % hook

    def _step_run(self, report=None):
        """Run the step once: pre_reload_hook(module) unless this is the
        module's first import, load(), and post_reload_hook(the new module).

        Returns None. An exception goes on up, with _failed_part set to the
        _part() of the hook that raised it, or to "" if load() did. A failed
        pre_reload_hook does not stop the reload (the new source may be what
        mends it) when report is given: report(part, exception) says how it
        failed, at once, and the step goes on. KeyboardInterrupt stops the
        step at once.
        """
        self._failed_part = ""
        if self.module is not None:
            self._failed_part = self._part("pre")
            try:
                self.pre_reload_hook(self.module)
            except KeyboardInterrupt:
                raise
            except BaseException as e:
                if report is None:
                    raise
                report(self._failed_part, e)
            self._failed_part = ""
        module = self.load()
        self._failed_part = self._part("post")
        self.post_reload_hook(module)
        self._failed_part = ""

    def run(self, **kwargs):
        self._step_run()

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
        reloading._reload_changed(skip=(main,))

    def __repr__(self):
        return "ReloadModules()"


def listfiles(folder, ext=""):
    """The paths of the files below folder whose names end in ext."""
    found = []
    for root, dirs, files in os.walk(folder):
        found.extend(os.path.join(root, f) for f in files if f.endswith(ext))
    return found
