# session.py: what the C part calls to run a session's steps: the step of a
# --module, steps it does not run itself, and the start and end of hotload().
import gc
import importlib
import inspect
import os
import socket

import hotload
from hotload import diagnose, reloading
from hotload.api import ReloadedPythonModule


def _call(module, dotted):
    """Call the function of module named by a dotted name; a name that is
    not there gets a suggestion of the closest one."""
    target = module
    for part in dotted.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            if part in dir(target):
                raise  # the attribute is there, and raised it itself
            raise diagnose._no_attribute(target, part) from None
    return target()


class _CommandLineModule(ReloadedPythonModule):
    """A --module step: its hooks are functions of the module, by name."""

    def __init__(self, name, pre_hook=None, post_hook=None, recursive=False):
        super().__init__(name)
        self.pre_hook, self.post_hook = pre_hook, post_hook
        self.recursive = recursive
        self._hinted = False  # the main() hint was given

    def pre_reload_hook(self, module):
        if self.pre_hook:
            _call(module, self.pre_hook)

    def post_reload_hook(self, module):
        if self.post_hook:
            _call(module, self.post_hook)
        elif not self._hinted:
            self._hinted = True
            diagnose._main_guard_hint(module)

    def _part(self, hook):
        name = self.pre_hook if hook == "pre" else self.post_hook
        if not isinstance(name, str):
            return super()._part(hook)
        return "%s-hook %s: " % (hook, name)


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
        return run(changed_modules=reloading._changed_modules())
    return run()


def _start(patching, verbose):
    """The hotload program starts: how to reload, and what to say. From
    now on the user's own importlib.reload of a watched module reloads it
    as hotload does."""
    reloading._patching = patching
    reloading._verbose = verbose
    reloading._take_reload(True)


# Where a debugger reads its commands: a Ctrl-C there is the debugger's.
_DEBUGGER_FILES = frozenset(("bdb.py", "pdb.py", "cmd.py"))


def _on_sigint(signum, frame):
    """Python's SIGINT handler in the hotload program: a KeyboardInterrupt,
    as Python's own handler raises. A Ctrl-C is also told to hotload, so
    that code which catches it (to clean up) still ends hotload once its
    step is over; one typed at a debugger's prompt is the debugger's, as in
    python."""
    f = frame
    while f is not None:
        if os.path.basename(f.f_code.co_filename) in _DEBUGGER_FILES:
            break
        f = f.f_back
    else:
        hotload._note_interrupt()
    raise KeyboardInterrupt


_wakeup_before = []
_sigint_before = []


def _session(fd):
    """hotload() starts (fd >= 0: the C part's wake-up pipe) or ends. While
    it runs, Python's own SIGINT handler gives way to _on_sigint, which
    also tells hotload of a Ctrl-C: a KeyboardInterrupt that lands where
    Python only prints it (a weakref callback, a __del__) still ends
    hotload(). A handler of the program's own stays."""
    import signal
    if fd >= 0:
        _wakeup_before[:] = [signal.set_wakeup_fd(
            fd, warn_on_full_buffer=False)]
        _sigint_before[:] = []
        if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            _sigint_before.append(signal.signal(signal.SIGINT, _on_sigint))
        hotload.running = True
        reloading._take_reload(True)
    else:
        hotload.running = False
        reloading._take_reload(False)
        if _sigint_before and signal.getsignal(signal.SIGINT) is _on_sigint:
            signal.signal(signal.SIGINT, _sigint_before.pop())
        signal.set_wakeup_fd(_wakeup_before.pop() if _wakeup_before else -1)


def _forget_listings():
    """New files appeared: let the import system look at directories
    again."""
    importlib.invalidate_caches()


# -- Listening sockets a stopped server leaves open ---------------------------
# A process that ends closes every socket it has; a server that --restart
# stops lives on in hotload's process, and a listening socket its code let
# go of without closing holds the port for good: the next run cannot bind
# it ("Address already in use"), and requests to it wait in its backlog.
# werkzeug 2.1 to 2.2.2 (Flask's app.run) does so: it detach()es the socket
# it bound and serves on a dup() of it, which is all it closes. While a
# module step that --restart may stop runs, socket.socket.detach notes the
# listening sockets let go of; once the step is stopped, those that are
# still open, still the same socket, and held by no socket object (ssl
# wraps a socket by detaching it into another) are closed.

_detached = []  # (descriptor, inode) of listening sockets let go of


def _note_detach(sock, detach):
    """detach() of sock, noting it if it listens."""
    fd = sock.fileno()
    try:
        ino = os.fstat(fd).st_ino if fd >= 0 and sock.getsockopt(
            socket.SOL_SOCKET, socket.SO_ACCEPTCONN) else None
    except OSError:
        ino = None
    result = detach(sock)
    if ino is not None:
        _detached.append((fd, ino))
    return result


def _sockets_begin():
    """A module step that --restart may stop begins."""
    cls = socket.socket
    if "detach" in cls.__dict__ and hasattr(cls.detach, "_hotload_detach"):
        return
    detach = cls.detach

    def noting_detach(self):
        return _note_detach(self, detach)
    noting_detach._hotload_detach = detach
    cls.detach = noting_detach
    del _detached[:]


def _sockets_end(stopped):
    """The step is over; stopped by a change, it closes the listening
    sockets its code let go of. Returns how many it closed."""
    cls = socket.socket
    detach = getattr(cls.__dict__.get("detach"), "_hotload_detach", None)
    if detach is not None:
        cls.detach = detach
    left = []
    for fd, ino in _detached if stopped else ():
        try:
            if os.fstat(fd).st_ino == ino:
                left.append(fd)
        except OSError:
            pass
    del _detached[:]
    if not left:
        return 0
    held = {obj.fileno() for obj in gc.get_objects()
            if isinstance(obj, socket.socket)}
    closed = 0
    for fd in left:
        if fd not in held:
            os.close(fd)
            closed += 1
    return closed
