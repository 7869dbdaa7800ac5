# repl.py: the prompt of --repl, a Python prompt whose names follow every
# save while rounds go on running.
import sys

import hotload

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
    if first is None:
        here = "Saves still run rounds.\n"
    elif first in sys.modules:
        here = "%s and its names are here, and follow every save.\n" % first
    else:
        here = ("%s did not import (the error is above); the prompt works "
                "all the same, and %s and its names come once a save "
                "mends it.\n" % (first, first))
    code.interact(banner="hotload %s, Python %s. %sexit() or Ctrl-D "
                  "leaves." % (hotload.__version__, sys.version.split()[0],
                               here),
                  local=_repl_namespace, exitmsg="")
