"""harness.py: run the real hotload binary and watch what it prints.

Tests wait for conditions (a line on stdout, a number of rounds) with a
generous timeout, never for a fixed time, so that they pass on a loaded
machine. The binary runs without PYTHONUNBUFFERED and
PYTHONDONTWRITEBYTECODE, as on users' machines.
"""

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import termios
import threading
import time
import unittest

BIN = os.environ.get("HOTLOAD_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "hotload")
SOURCE_DIR = os.environ.get("HOTLOAD_SOURCE_DIR") or os.path.join(
    os.path.dirname(__file__), "..", "..")
BUILD_DIR = os.environ.get("HOTLOAD_BUILD_DIR") or os.path.dirname(BIN)
# The python hotload embeds, and where its extension module was built.
PYTHON = os.environ.get("HOTLOAD_PYTHON") or sys.executable
MODULE_DIR = os.environ.get("HOTLOAD_MODULE_DIR") or os.path.join(
    BUILD_DIR, "python")
TIMEOUT = float(os.environ.get("HOTLOAD_TEST_TIMEOUT", "30"))
# ctest runs the suite once per watcher backend: this names it.
WATCHER = os.environ.get("HOTLOAD_TEST_WATCHER")


def hotload_argv(args):
    """The command line that runs hotload with args, and the backend."""
    return [BIN] + (["--watcher=" + WATCHER] if WATCHER else []) + list(args)

# A shell's background job starts with SIGINT ignored, and would hand that
# on to hotload and python, which then cannot be stopped with Ctrl-C.
if signal.getsignal(signal.SIGINT) == signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)

# A status line starts a line, or follows the prompt's clearing of its line
# ("\r\033[K" at the --repl prompt).
ROUND = re.compile(r"(?:^|\x1b\[K)hotload: round (\d+) (ok|failed|restarted)",
                   re.M)
# Colours, as hotload's status lines have them on a terminal (--color).
COLOR = re.compile(r"\x1b\[[0-9;]*m")


def rounds_in(text):
    """The rounds whose status lines are in text, as (number, outcome)."""
    return [(int(n), s) for n, s in ROUND.findall(COLOR.sub("", text))]


# Tests that read /proc/PID/stat or /proc/PID/fd, as Linux has them.
needs_proc = unittest.skipUnless(
    os.path.isfile("/proc/self/stat") and os.path.isdir("/proc/self/fd"),
    "needs a /proc with /proc/PID/stat and /proc/PID/fd")


def alive(pid):
    """Is pid a running process? A zombie is not. Without /proc, a process
    that can still be signalled counts as running."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: it exists
    if not os.path.isdir("/proc/self"):
        return True
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False  # reaped since the kill
    # The state follows the command's name, which may hold ") " itself.
    fields = stat.rsplit(") ", 1)
    return len(fields) == 2 and fields[1][:1] != "Z"


def clean_env(**extra):
    """The environment of a user's shell: no variables that hide bugs."""
    env = dict(os.environ)
    for name in list(env):
        if name in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE",
                    "HOTLOAD_BIN", "HOTLOAD_SOURCE_DIR") \
                or name.startswith("HOTLOAD_RUNNING"):
            del env[name]
    # In the ASan build, the extension module needs the runtime loaded
    # before python starts.
    if os.environ.get("HOTLOAD_ASAN_PRELOAD"):
        env["LD_PRELOAD"] = os.environ["HOTLOAD_ASAN_PRELOAD"]
    env.update(extra)
    return env


def _take_terminal():
    """In the child: make stdin, a pty, the controlling terminal, so that
    typing Ctrl-C into the pty sends SIGINT as in a real terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def wait_until(predicate, timeout=TIMEOUT, what="condition"):
    """Poll predicate until it returns a true value; fail after timeout.
    what may be a function, called only then, to show the state at the
    end of the wait."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " +
                                 (what() if callable(what) else what))
        time.sleep(0.005)


class Hotload:
    """A running hotload whose stdout and stderr are collected as it goes.

    With tty=True it runs on a pseudo-terminal (stdout and stderr both go
    to it, and Ctrl-C can be typed); otherwise stdout and stderr are pipes.
    With read_stdout=False, nothing reads stdout but the test itself, with
    readline(), so that closing proc.stdout really closes the pipe.
    """

    def __init__(self, args, cwd, stdin=None, env=None, tty=False,
                 argv=None, read_stdout=True):
        self.args = argv or hotload_argv(args)
        self.out = b""
        self.err = b""
        self.lock = threading.Lock()
        env = env if env is not None else clean_env()
        self.tty = tty
        if tty:
            self.master, slave = pty.openpty()
            self.proc = subprocess.Popen(
                self.args, cwd=cwd, env=env, stdin=slave, stdout=slave,
                stderr=slave, start_new_session=True,
                preexec_fn=_take_terminal)
            os.close(slave)
            self.threads = [threading.Thread(target=self._read_pty,
                                             daemon=True)]
        else:
            self.proc = subprocess.Popen(
                self.args, cwd=cwd, env=env,
                stdin=subprocess.PIPE if stdin is not None
                else subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            if stdin is not None:
                self.proc.stdin.write(
                    stdin if isinstance(stdin, bytes) else stdin.encode())
                self.proc.stdin.close()
            self.threads = [
                threading.Thread(target=self._read, args=(
                    self.proc.stderr, "err"), daemon=True),
            ]
            if read_stdout:
                self.threads.append(threading.Thread(
                    target=self._read, args=(self.proc.stdout, "out"),
                    daemon=True))
        for t in self.threads:
            t.start()

    def _read(self, stream, name):
        while True:
            chunk = stream.read1(65536)
            if not chunk:
                return
            with self.lock:
                setattr(self, name, getattr(self, name) + chunk)

    def _read_pty(self):
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            with self.lock:
                self.out += chunk

    def readline(self):
        """One line of stdout, read by the test (read_stdout=False)."""
        fd, line = self.proc.stdout.fileno(), b""
        while not line.endswith(b"\n"):
            wait_until(lambda: select.select([fd], [], [], 0.05)[0],
                       what="a line on stdout")
            byte = os.read(fd, 1)
            if not byte:
                break
            line += byte
        return line

    def stdout(self):
        """What hotload printed on stdout (on a terminal, everything it
        printed, without colours; self.out has them)."""
        with self.lock:
            text = self.out.decode(errors="replace")
        return COLOR.sub("", text) if self.tty else text

    def stderr(self):
        """hotload's own messages (on a terminal, everything it printed,
        without colours)."""
        with self.lock:
            if self.tty:
                return COLOR.sub("", self.out.decode(errors="replace"))
            return self.err.decode(errors="replace")

    def rounds(self):
        """The rounds reported so far, as (number, 'ok' or 'failed')."""
        return rounds_in(self.stderr())

    def wait_rounds(self, n, timeout=TIMEOUT):
        wait_until(lambda: len(self.rounds()) >= n, timeout,
                   lambda: "%d rounds; stderr so far:\n%s" % (
                       n, self.stderr()))
        return self.rounds()

    def wait_out(self, text, count=1, timeout=TIMEOUT):
        wait_until(lambda: self.stdout().count(text) >= count, timeout,
                   lambda: "%r x%d on stdout; stdout so far:\n%s\n"
                   "stderr:\n%s" % (text, count, self.stdout(),
                                    self.stderr()))

    def wait_err(self, text, count=1, timeout=TIMEOUT):
        wait_until(lambda: self.stderr().count(text) >= count, timeout,
                   lambda: "%r x%d on stderr; stderr so far:\n%s" % (
                       text, count, self.stderr()))

    def status_after(self, text):
        """Wait for text on stderr, then for the status line of the round
        that printed it (its last time so far); return "ok" or "failed".
        The text must not be one that status lines hold."""
        self.wait_err(text)
        at = self.stderr().rindex(text)
        found = []

        def seen():
            m = ROUND.search(self.stderr(), at)
            if m:
                found.append(m.group(2))
            return m
        wait_until(seen, what=lambda: "a status line after %r:\n%s" % (
            text, self.stderr()))
        return found[-1]

    def files_lines(self):
        """How many "N files" lines the command has printed so far."""
        return len(re.findall(r"^\d+ files$", self.stdout(), re.M))

    def wait_burst(self, files, after):
        """Wait until the rounds after round `after` have been given `files`
        files in all (a command printing "$# files" shows it); return how
        many rounds that took. A burst gives one round, or two when the
        machine is so busy that the writer stalls right after its first
        file, longer than hotload waits for a second one. On such a
        machine a file of the last burst may also have been seen
        half-written, and the round for its last write come after: that
        round is left out."""
        def counts():
            found = re.findall(r"^(\d+) files$", self.stdout(), re.M)
            return list(map(int, found[after:]))

        def done():
            c = counts()
            return sum(c) >= files and (sum(c) == files or
                                        sum(c[1:]) >= files)
        wait_until(done, what=lambda: "%d files in rounds after round %d; "
                   "stdout so far:\n%s" % (files, after, self.stdout()))
        c = counts()
        if sum(c) != files:
            c = c[1:]  # the last burst's file, seen again
        if sum(c) != files:
            raise AssertionError("the burst's rounds were given %d files, "
                                 "not %d:\n%s" % (sum(c), files,
                                                   self.stdout()))
        return len(c)

    def type(self, data):
        os.write(self.master, data)

    def enter(self, line, expect):
        """Type line and Enter (on the terminal); wait for expect after
        it in the output."""
        before = len(self.stdout())
        self.type(line.encode() + b"\r")
        wait_until(lambda: expect in self.stdout()[before:],
                   what=lambda: "%r after typing %r; output:\n%s" % (
                       expect, line, self.stdout()[before:]))

    def wait_exit(self, timeout=TIMEOUT):
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError("hotload did not exit; stderr:\n" +
                                 self.stderr() + stacks(self.proc.pid))
        for t in self.threads:
            t.join(timeout)
        self._close()
        return code

    def _close(self):
        if self.tty and self.master is not None:
            os.close(self.master)
            self.master = None
        # A process hotload started may still hold the pipes, and a reader
        # be blocked on one: then leave them, for the test's end to take.
        if any(t.is_alive() for t in self.threads):
            return
        for f in (self.proc.stdout, self.proc.stderr):
            if f is not None:
                f.close()

    def stop(self, sig=signal.SIGINT):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait_exit()

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for t in self.threads:
            t.join(5)
        self._close()


def stacks(pid):
    """Where each thread of a process that hangs is, as gdb sees it, to
    show in the failure; nothing without gdb."""
    gdb = shutil.which("gdb")
    if gdb is None:
        return ""
    try:
        p = subprocess.run([gdb, "-batch", "-nx", "-p", str(pid), "-ex",
                            "thread apply all bt 30"], capture_output=True,
                           text=True, timeout=120, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired):
        return ""
    frames = [line for line in p.stdout.splitlines()
              if line.startswith(("#", "Thread "))]
    return "\nits threads, as gdb sees them:\n" + "\n".join(frames)


def run(args, cwd, stdin=None, env=None, timeout=TIMEOUT):
    """Run hotload to completion; return (status, stdout, stderr)."""
    p = subprocess.run(
        hotload_argv(args), cwd=cwd, env=env if env is not None else clean_env(),
        input=stdin.encode() if isinstance(stdin, str) else stdin,
        stdin=None if stdin is not None else subprocess.DEVNULL,
        capture_output=True, timeout=timeout)
    return p.returncode, p.stdout.decode(errors="replace"), \
        p.stderr.decode(errors="replace")


def write(path, text):
    """Save text in place, as most editors without backups do."""
    with open(path, "w") as f:
        f.write(text)


def read(path):
    """The text of path, or None if it does not exist (yet)."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None


def read_pid(path):
    """The pid a command wrote into path, once it is there."""
    return int(wait_until(lambda: (read(path) or "").strip(),
                          what="a pid in " + path))


def write_atomic(path, text):
    """Save text to a temporary file beside path and rename it over path."""
    tmp = path + ".tmp~"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


class TestCase(unittest.TestCase):
    """A test with its own temporary directory and hotloads stopped after."""

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="hotload-test-")
        self.procs = []

    def tearDown(self):
        for p in self.procs:
            p.kill()
        shutil.rmtree(self.dir, ignore_errors=True)

    def path(self, name):
        return os.path.join(self.dir, name)

    def write(self, name, text):
        path = self.path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        write(path, text)
        return path

    def start(self, *args, **kw):
        kw.setdefault("cwd", self.dir)
        p = Hotload(args, **kw)
        self.procs.append(p)
        return p

    def run_hotload(self, *args, **kw):
        kw.setdefault("cwd", self.dir)
        return run(args, **kw)
