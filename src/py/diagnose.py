# diagnose.py: what hotload tells the user about their code: where an error
# is (for --events), post-mortem debugging (--pdb), and hints for a
# misspelt hook and for a main() that only runs as a script.
import ast
import difflib
import os
import sys

import hotload

# The code of hotload and of the import system, which an error's place in
# the user's code is never in (C strips the same frames from tracebacks).
_MACHINERY = ("<hotload", "<frozen importlib")


def _machinery(filename):
    return (filename.startswith(_MACHINERY)
            or filename.endswith(os.path.join("importlib", "__init__.py")))


def _error_place(exc):
    """Describe the exception exc for --events: (type, message, file, line).

    The type is named as a traceback names it (module.Name, but for
    builtins). The place is, for a SyntaxError, where the bad source is;
    else the innermost frame in a watched file or, if none is, the
    innermost frame that is not hotload's or the import system's; file is
    None if there is none.
    """
    cls = type(exc)
    name = cls.__qualname__
    if cls.__module__ not in ("builtins", "__main__"):
        name = "%s.%s" % (cls.__module__, name)
    try:
        message = str(exc)
    except Exception:
        message = "<exception str() failed>"
    if isinstance(exc, SyntaxError) and exc.filename and exc.lineno:
        return name, message, exc.filename, exc.lineno
    watched = other = None
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if hotload._is_watched(filename):
            watched = tb
        elif not _machinery(filename):
            other = tb
        tb = tb.tb_next
    tb = watched or other
    if tb is None:
        return name, message, None, 0
    return name, message, tb.tb_frame.f_code.co_filename, tb.tb_lineno


def _terminal():
    """The files pdb reads and writes: None for sys.stdin and sys.stdout
    when both are the terminal (readline then edits the lines), else the
    terminal, opened for each."""
    try:
        if sys.stdin.isatty() and sys.stdout.isatty():
            return None
    except (AttributeError, ValueError):
        pass
    tty_in = open("/dev/tty")
    try:
        return tty_in, open("/dev/tty", "w")
    except OSError:
        tty_in.close()
        raise


class _Ending(BaseException):
    """hotload is to end (a signal came) while pdb runs."""


def _post_mortem(exc, stopping):
    """Debug exc post-mortem with pdb at the terminal (--pdb), until c, q
    or Ctrl-D. stopping() tells whether a signal has asked hotload to end
    meanwhile: then pdb ends at once."""
    import pdb

    tb = exc.__traceback__
    if tb is None:
        sys.stderr.write("hotload: --pdb: no frame of the code to debug "
                         "for this %s\n" % type(exc).__name__)
        return

    class Debugger(pdb.Pdb):
        def cmdloop(self, intro=None):
            try:
                return super().cmdloop(intro)
            except KeyboardInterrupt:
                if stopping():
                    raise _Ending()
                raise

    tty = _terminal()
    fd = (tty[0] if tty else sys.stdin).fileno()
    mode = _line_mode(fd)
    tracer = sys.gettrace()
    try:
        if tty is None:
            p = Debugger(nosigint=True)
        else:
            p = Debugger(stdin=tty[0], stdout=tty[1], nosigint=True)
        p.reset()
        p.interaction(None, tb)
    except _Ending:
        pass
    finally:
        sys.settrace(tracer)  # c with a breakpoint set would leave pdb's
        _restore_mode(fd, mode)
        if tty is not None:
            tty[0].close()
            tty[1].close()


def _line_mode(fd):
    """Have the terminal fd read whole lines and echo them (hotload reads
    keys from it one at a time); return its settings before, or None."""
    try:
        import termios
        before = termios.tcgetattr(fd)
        mode = list(before)
        mode[3] |= termios.ICANON | termios.ECHO
        termios.tcsetattr(fd, termios.TCSANOW, mode)
        return before
    except (ImportError, OSError, ValueError):
        return None


def _restore_mode(fd, mode):
    if mode is not None:
        import termios
        try:
            termios.tcsetattr(fd, termios.TCSANOW, mode)
        except (OSError, ValueError):
            pass


def _no_attribute(target, name):
    """The AttributeError for a hook name that target lacks, with the
    closest of its names suggested as Python 3.10 and later suggest them,
    but also for a swap of two letters (mian for main), which Python does
    not suggest."""
    what = ("module %r" % target.__name__ if isinstance(
        target, type(sys)) else "%r object" % type(target).__name__)
    message = "%s has no attribute %r" % (what, name)
    close = difflib.get_close_matches(
        name, [n for n in dir(target) if not n.startswith("__")], n=1)
    if close:
        message += ". Did you mean: %r?" % close[0]
    return AttributeError(message)


def _main_guard_hint(module):
    """Say, on stderr, when the code of module only runs under
    if __name__ == "__main__": (as python FILE runs it), and which function
    --post-hook would run."""
    try:
        with open(module.__file__, "rb") as f:
            tree = ast.parse(f.read())
    except (AttributeError, TypeError, OSError, SyntaxError, ValueError):
        return
    guard = next((node for node in tree.body if isinstance(node, ast.If)
                  and _is_main_test(node.test)), None)
    if guard is None:
        return
    func = None
    for node in ast.walk(guard):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and _takes_no_arguments(getattr(module, node.func.id,
                                                None))):
            func = node.func.id
            break
    name = module.__name__
    if func:
        advice = "--post-hook %s runs %s() after every import" % (func,
                                                                  func)
    else:
        advice = ("put it in a function, and name that with --post-hook "
                  "to run it after every import")
    sys.stdout.flush()
    sys.stderr.write('hotload: %s: the code under if __name__ == '
                     '"__main__": does not run, since hotload imports %s '
                     'as a module; %s\n' % (name, name, advice))
    sys.stderr.flush()


def _is_main_test(test):
    """Is test __name__ == "__main__" (either way round)?"""
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1
            and isinstance(test.ops[0], ast.Eq)):
        return False
    sides = [test.left, test.comparators[0]]
    names = [s for s in sides if isinstance(s, ast.Name)
             and s.id == "__name__"]
    strings = [s for s in sides if isinstance(s, ast.Constant)
               and s.value == "__main__"]
    return len(names) == 1 and len(strings) == 1


def _takes_no_arguments(func):
    """Is func a function that can be called with no arguments?"""
    import inspect
    if not inspect.isfunction(func):
        return False
    try:
        params = inspect.signature(func).parameters.values()
    except (TypeError, ValueError):
        return False
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL,
                                                      p.VAR_KEYWORD)
               for p in params)
