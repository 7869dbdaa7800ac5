# hotload.py: the Python half of the hotload module, and the entry to it.
#
# In the hotload program and in the extension module (build/python), the C
# part (src/pymodule.c) runs this file in the module it makes, and the other
# files of src/py become its submodules (hotload.reloading, hotload.api, ...),
# compiled in as well. In a plain python, `PYTHONPATH=src/py python3 -c
# 'import hotload'` imports the same files from here, with stubs for what C
# gives, so that they can be tested on their own (tests/python).
#
# The submodules, each using only the ones above it:
#   reloading  loading watched modules fresh, reloading changed modules in
#              the order of their imports (_reload), keep() and forget()
#   api        the steps of the Python API, as in the tool hotload grew from
#   auto       --auto: the files of the modules the program imports
#   diagnose   where an error is, post-mortem debugging, and hints
#   session    what the C part calls to run a session's steps
#   repl       the prompt of --repl
# The public API is __all__: what the module holds besides its submodules.
import importlib.util
import os
import sys

# -- Names that cross between C and Python -----------------------------------
# Every name of this module that the C part (src/*.c) sets, defines, reads or
# calls, and every attribute it uses on a step. tests/python checks them
# against this module and against the C sources.

# Values C sets on the module: before this file runs (__version__,
# _sources), when the program starts (running) and at each round.
_SET_BY_C = ("__version__", "_sources", "running", "reloads", "changed",
             "_changed_paths")
# Functions C defines on the module (stubs below in a plain python).
_DEFINED_BY_C = ("_is_watched", "_report_failure", "_note_interrupt",
                 "hotload",
                 "_auto_offer")
# What C takes from the module: the classes it makes steps of or tells them
# apart by, and the functions it calls.
_USED_BY_C = ("_CommandLineModule", "ReloadedPythonModule", "Command",
              "ClearTerminal", "_run_step", "_start", "_session",
              "_forget_listings",
              "_repl_start", "_repl_refresh", "_repl", "_error_place",
              "_post_mortem", "_auto_start", "_auto_update", "_sockets_begin",
              "_sockets_end", "_on_sigint")
# Attributes C uses on step objects: a module step's _step_run() and
# _failed_part, a Command's command, and run to know a step.
_STEP_ATTRIBUTES = ("_step_run", "_failed_part", "command", "run")

__all__ = ["keep", "forget", "hotload", "listfiles", "Runnable",
           "PythonHandle", "Command", "ClearTerminal", "ReloadedPythonModule",
           "ReloadModules", "running", "reloads", "changed"]

running = False  # True while hotload runs rounds in this interpreter
reloads = 0  # reloads so far: 0 while modules are first imported
changed = ()  # the files changed in this round, as commands get them
_changed_paths = ()  # the same, absolute

# What C defines, when it does not: this is a plain python importing the
# sources, where nothing is watched and hotload() cannot run.
if "__version__" not in globals():
    __version__ = "0+source"
if "_is_watched" not in globals():
    def _is_watched(path):
        """Is path one of the watched files? (None are, here.)"""
        return False
if "_note_interrupt" not in globals():
    def _note_interrupt():
        """A Ctrl-C (C counts it in the hotload program)."""
if "_report_failure" not in globals():
    def _report_failure(part, exception):
        """A part of a step failed and the step goes on: print it."""
        import traceback
        sys.stderr.write(part)
        traceback.print_exception(type(exception), exception,
                                  exception.__traceback__)
if "_auto_offer" not in globals():
    def _auto_offer(path):
        """A module is imported for the first time from path: watch it
        (--auto; C defines it when --auto starts)."""
if "hotload" not in globals():
    def hotload(watch, steps, waittime_ms=1.0 / 144):
        """Run the steps each time a file in watch changes (only in the
        compiled module)."""
        raise RuntimeError("hotload() runs in the compiled module: "
                           "PYTHONPATH=build/python")

# -- The submodules -----------------------------------------------------------
# C gives their sources as _sources, {name: source}; in a plain python they
# are the files beside this one.

_sources = globals().get("_sources")


class _EmbeddedLoader:
    """Find and load hotload's submodules from the sources C gives; their
    code is named "<hotload NAME.py>", as C's tracebacks expect."""

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        package, _, leaf = name.rpartition(".")
        if package != __name__ or leaf not in _sources:
            return None
        return importlib.util.spec_from_loader(
            name, cls, origin="<hotload %s.py>" % leaf)

    @classmethod
    def create_module(cls, spec):
        return None

    @classmethod
    def exec_module(cls, module):
        spec = module.__spec__
        leaf = spec.name.rpartition(".")[2]
        exec(compile(_sources[leaf], spec.origin, "exec"), module.__dict__)


if _sources is None:
    __path__ = [os.path.dirname(os.path.abspath(__file__))]
else:
    __path__ = []
    if _EmbeddedLoader not in sys.meta_path:
        sys.meta_path.append(_EmbeddedLoader)

from hotload.reloading import keep, forget, _install_finder  # noqa: E402
from hotload.api import (  # noqa: E402
    Runnable, PythonHandle, Command, ClearTerminal, ReloadedPythonModule,
    ReloadModules, listfiles)
from hotload.session import (  # noqa: E402
    _CommandLineModule, _run_step, _start, _session, _forget_listings,
    _on_sigint,
    _sockets_begin, _sockets_end)
from hotload.repl import _repl_start, _repl_refresh, _repl  # noqa: E402
from hotload.diagnose import _error_place, _post_mortem  # noqa: E402
from hotload.auto import _auto_start, _auto_update  # noqa: E402

# They are this module's, as they were when it was one file: help(hotload)
# lists them, and their repr and pickles name hotload.
for _value in (keep, forget, listfiles, Runnable, PythonHandle, Command,
               ClearTerminal, ReloadedPythonModule, ReloadModules):
    _value.__module__ = __name__
del _value

_install_finder()
