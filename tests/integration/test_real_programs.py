"""The programs people really run under hotload: servers that catch
KeyboardInterrupt, Flask, pdb, formatters, scripts started in the
background; and what they must see: every save served, Ctrl-C and SIGTERM
ending hotload, output in the order it was written, no save lost and no
round run for a write that changed nothing.
"""

import http.client
import os
import random
import re
import signal
import socket
import subprocess
import sys
import time
import unittest
import urllib.request

from harness import (BIN, MODULE_DIR, PYTHON, TIMEOUT, Hotload, TestCase,
                     clean_env, hotload_argv, read, wait_until, write_atomic)

# A status line anywhere in the output (on a terminal, everything is one
# stream).
STATUS = re.compile(r"hotload: round (\d+) (ok|failed|restarted)")
OWN_WRITE = "taking it as the round's own write"


def statuses(text):
    return [(int(n), s) for n, s in STATUS.findall(text)]


def fetch(port):
    """The body the server on port answers with, or None if it does not
    answer (yet) within a few seconds."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/" % port,
                                    timeout=5) as r:
            return r.read().decode()
    except (OSError, http.client.HTTPException, ValueError):
        return None


def free_port():
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ignoring_sigint(argv):
    """argv run with SIGINT ignored, as `cmd &` in a shell script starts
    it."""
    return [sys.executable, "-c",
            "import os, signal, sys\n"
            "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
            "os.execv(sys.argv[1], sys.argv[1:])\n"] + argv


def joined(argv):
    """argv run with its stderr on its stdout, as `2>&1 | cat` has it."""
    return ["sh", "-c", 'exec "$0" "$@" 2>&1'] + argv


def alive(proc):
    return proc.poll() is None


def embedded_python_has(module):
    """Whether the python hotload embeds can import module."""
    return subprocess.run([PYTHON, "-c", "import " + module],
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL,
                          stdin=subprocess.DEVNULL).returncode == 0


# A server on http.server whose loop catches KeyboardInterrupt, as
# werkzeug's and many hand-written ones do. It serves "version V" on a
# port of its own, which it writes to the file "port".
CATCHING_SERVER = '''\
import http.server
import os

V = %d


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = ("version %%d" %% V).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


server = None


def serve():
    global server
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    with open("port.tmp", "w") as f:
        f.write(str(server.server_port))
    os.replace("port.tmp", "port")
    print("serving", V, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


def close():
    server.server_close()
'''


class ServerThatCatchesTheInterrupt(TestCase):
    """Case 1: --restart with a server whose loop swallows the interrupt."""

    def served(self, version):
        """Wait until the server answers with version."""
        want = "version %d" % version
        seen = []

        def check():
            port = read(self.path("port"))
            body = fetch(int(port)) if port else None
            seen.append(body)
            return body == want
        wait_until(check, what=lambda: "%r served; last answer %r; "
                   "stderr:\n%s" % (want, seen[-1] if seen else None,
                                    self.h.stderr()))

    def test_every_one_of_eight_saves_at_random_gaps_is_served(self):
        seed = random.randrange(1 << 30)
        rng = random.Random(seed)
        self.write("app.py", CATCHING_SERVER % 1)
        self.h = self.start("--restart", "-m", "app", "--pre-hook", "close",
                            "--post-hook", "serve", "app.py")
        self.served(1)
        for version in range(2, 10):
            saved = time.monotonic()
            write_atomic(self.path("app.py"), CATCHING_SERVER % version)
            self.served(version)
            self.assertNotIn(OWN_WRITE, self.h.stderr(),
                             "seed %d" % seed)
            # The user's pace: the next save 0.4 to 1 s after this one.
            gap = rng.uniform(0.4, 1.0) - (time.monotonic() - saved)
            if gap > 0:
                time.sleep(gap)
        self.assertEqual(self.h.stop(signal.SIGTERM), -signal.SIGTERM)


# A module whose post-hook runs until interrupted, then cleans up.
CATCHES_CTRL_C = '''\
import time

V = %d


def serve():
    try:
        # Said inside the try: Ctrl-C comes once it is said.
        print("serving", V, flush=True)
        while True:
            time.sleep(0.05)
    except KeyboardInterrupt:
        print("cleaned up", V, flush=True)
'''


class OneCtrlC(TestCase):
    """Case 2: one Ctrl-C ends hotload even when the module catches it."""

    def ctrl_c(self, *options, save=False):
        self.write("app.py", CATCHES_CTRL_C % 1)
        h = self.start(*options, "-m", "app", "--post-hook", "serve",
                       "app.py", tty=True)
        h.wait_out("serving 1")
        if save:
            # A save waits for the round to end (no --restart): Ctrl-C
            # must not end the round and start the new version instead.
            write_atomic(self.path("app.py"), CATCHES_CTRL_C % 2)
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT, h.stdout())
        self.assertIn("cleaned up 1", h.stdout())
        self.assertNotIn("serving 2", h.stdout())

    def test_ctrl_c_ends_hotload_after_the_modules_clean_up(self):
        self.ctrl_c()

    def test_ctrl_c_with_a_save_waiting_ends_hotload(self):
        self.ctrl_c(save=True)

    def test_ctrl_c_under_restart_ends_hotload(self):
        self.ctrl_c("--restart")

    def test_shell_sees_status_130(self):
        self.write("app.py", CATCHES_CTRL_C % 1)
        script = ("trap : INT; '%s' -m app --post-hook serve app.py; "
                  "echo \"status=$?\"" % BIN)
        h = self.start(argv=["sh", "-c", script], tty=True)
        h.wait_out("serving 1")
        h.type(b"\x03")
        h.wait_out("status=130")
        self.assertIn("cleaned up 1", h.stdout())


# A module that counts forever in its post-hook, and says when its
# pre-hook runs.
LOOPER = '''\
import time

V = %d


def stop():
    print("cleanup", V, flush=True)


def run():
    i = 0
    while True:
        print("loop", V, i, flush=True)
        i += 1
        time.sleep(0.1)
'''

SLEEPER = "import time\nprint('sleeping', flush=True)\ntime.sleep(100)\n"


class StartedWithSigintIgnored(TestCase):
    """Case 3: `hotload ... &` in a script starts it with SIGINT ignored:
    that stays so for SIGINT, but --restart and SIGTERM still work."""

    def start_ignoring(self, *args):
        return self.start(argv=ignoring_sigint(hotload_argv(args)))

    def test_restart_still_stops_the_module_and_sigint_stays_ignored(self):
        self.write("lib.py", LOOPER % 1)
        h = self.start_ignoring("--restart", "-m", "lib", "--pre-hook",
                                "stop", "--post-hook", "run", "lib.py")
        h.wait_out("loop 1 1\n")
        write_atomic(self.path("lib.py"), LOOPER % 2)
        h.wait_out("loop 2 1\n")
        self.assertIn("cleanup 1\n", h.stdout())
        # SIGINT, which the shell asked to ignore, does nothing.
        h.proc.send_signal(signal.SIGINT)
        write_atomic(self.path("lib.py"), LOOPER % 3)
        h.wait_out("loop 3 1\n")
        self.assertTrue(alive(h.proc), h.stderr())
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)

    def test_sigterm_ends_hotload_while_the_module_runs(self):
        self.write("lib.py", SLEEPER)
        h = self.start_ignoring("-m", "lib", "lib.py")
        h.wait_out("sleeping\n")
        start = time.monotonic()
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assertLess(time.monotonic() - start, 10)

    def test_sigterm_ends_hotload_while_a_restart_server_runs(self):
        self.write("app.py", CATCHING_SERVER % 1)
        h = self.start_ignoring("--restart", "-m", "app", "--pre-hook",
                                "close", "--post-hook", "serve", "app.py")
        h.wait_out("serving 1\n")
        start = time.monotonic()
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assertLess(time.monotonic() - start, 10)

    def test_sighup_ends_hotload_while_the_module_runs(self):
        self.write("lib.py", SLEEPER)
        h = self.start_ignoring("-m", "lib", "lib.py")
        h.wait_out("sleeping\n")
        self.assertEqual(h.stop(signal.SIGHUP), -signal.SIGHUP)


# A module that stops at a breakpoint in its first round only.
DEBUGGED = '''\
import hotload

V = %d


def main():
    if hotload.reloads == 0:
        breakpoint()
        print("went on", V, flush=True)
    else:
        print("round without a breakpoint", V, flush=True)
'''


class AfterTheDebugger(TestCase):
    """Case 4: breakpoint(), then c or q at the pdb prompt."""

    def start_pdb(self):
        self.write("app.py", DEBUGGED % 1)
        env = clean_env(HOME=self.dir, TERM="dumb")
        env.pop("PYTHONBREAKPOINT", None)
        h = self.start("-m", "app", "--post-hook", "main", "app.py",
                       tty=True, env=env)
        h.wait_out("(Pdb) ")
        return h

    def test_ctrl_c_after_continue_ends_hotload(self):
        h = self.start_pdb()
        h.type(b"c\r")
        h.wait_out("went on 1")
        wait_until(lambda: statuses(h.stdout()),
                   what=lambda: "round 1's status; output:\n" + h.stdout())
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT, h.stdout())
        self.assertNotIn("Program interrupted", h.stdout())

    def test_ctrl_c_at_the_pdb_prompt_is_the_debuggers(self):
        # As in python: the prompt says so and stays; the step goes on
        # once continued, and hotload with it.
        h = self.start_pdb()
        h.type(b"\x03")
        h.wait_out("--KeyboardInterrupt--")
        h.type(b"c\r")
        h.wait_out("went on 1")
        wait_until(lambda: statuses(h.stdout()),
                   what=lambda: "round 1's status; output:\n" + h.stdout())
        self.assertEqual(statuses(h.stdout()), [(1, "ok")], h.stdout())
        self.assertIsNone(h.proc.poll())

    def test_quit_ends_the_step_without_a_traceback_and_hotload_goes_on(
            self):
        h = self.start_pdb()
        h.type(b"q\r")
        wait_until(lambda: statuses(h.stdout()),
                   what=lambda: "round 1's status; output:\n" + h.stdout())
        self.assertEqual(statuses(h.stdout()), [(1, "failed")], h.stdout())
        self.assertNotIn("Traceback", h.stdout())
        self.assertNotIn("went on 1", h.stdout())
        write_atomic(self.path("app.py"), DEBUGGED % 2)
        h.wait_out("round without a breakpoint 2")
        wait_until(lambda: len(statuses(h.stdout())) >= 2,
                   what=lambda: "round 2's status; output:\n" + h.stdout())
        self.assertEqual(statuses(h.stdout())[1], (2, "ok"))
        self.assertNotIn("Traceback", h.stdout())
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT, h.stdout())


PRINTS_THEN_RAISES = ("print('line one')\nprint('line two')\n"
                      "raise ValueError('boom')\n")


class TracebackOrderInAPipe(TestCase):
    """Case 5: with stdout and stderr on one pipe, what a step printed
    comes before the traceback of its exception."""

    def assert_in_order(self, text):
        self.assertIn("Traceback", text)
        self.assertIn("line one\nline two\n", text)
        self.assertLess(text.index("line two\n"), text.index("Traceback"),
                        text)
        # The round's status line comes after it all.
        self.assertTrue(STATUS.search(text, text.index("ValueError: boom")),
                        text)

    def run_joined(self, *args):
        p = subprocess.run(joined(hotload_argv(args)), cwd=self.dir,
                           env=clean_env(), stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, timeout=TIMEOUT)
        return p.returncode, p.stdout.decode(errors="replace")

    def test_an_exception_in_the_module(self):
        self.write("err.py", PRINTS_THEN_RAISES)
        status, text = self.run_joined("--once", "-m", "err", "err.py")
        self.assertEqual(status, 1, text)
        self.assert_in_order(text)

    def test_an_exception_in_a_hook(self):
        self.write("hook.py", "def main():\n"
                   "    print('line one')\n    print('line two')\n"
                   "    raise ValueError('boom')\n")
        status, text = self.run_joined("--once", "-m", "hook", "--post-hook",
                                       "main", "hook.py")
        self.assertEqual(status, 1, text)
        self.assert_in_order(text)

    def test_an_exception_in_a_pre_hook(self):
        self.write("hook.py", "V = 1\ndef stop():\n"
                   "    print('line one')\n    print('line two')\n"
                   "    raise ValueError('boom')\n")
        h = self.start(argv=joined(hotload_argv(
            ["-m", "hook", "--pre-hook", "stop", "hook.py"])))
        wait_until(lambda: statuses(h.stdout()),
                   what=lambda: "round 1; output:\n" + h.stdout())
        write_atomic(self.path("hook.py"), read(self.path("hook.py")) +
                     "# saved\n")
        wait_until(lambda: len(statuses(h.stdout())) >= 2,
                   what=lambda: "round 2; output:\n" + h.stdout())
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assert_in_order(h.stdout())

    def launch(self, script):
        self.write("launch.py", script)
        h = Hotload([], cwd=self.dir, env=clean_env(PYTHONPATH=MODULE_DIR),
                    argv=joined([PYTHON, "launch.py"]))
        self.procs.append(h)
        wait_until(lambda: statuses(h.stdout()),
                   what=lambda: "round 1; output:\n" + h.stdout())
        self.assertEqual(h.stop(signal.SIGINT), 0, h.stdout())
        return h.stdout()

    def test_an_exception_in_a_hotload_step(self):
        self.write("lib.py", "")
        text = self.launch(
            "import hotload\n"
            "def step():\n"
            "    print('line one')\n    print('line two')\n"
            "    raise ValueError('boom')\n"
            "hotload.hotload(watch=[['lib.py']], steps=[step])\n")
        self.assert_in_order(text)

    def test_an_exception_in_a_reloaded_module_step(self):
        self.write("err.py", PRINTS_THEN_RAISES)
        text = self.launch(
            "import hotload\n"
            "hotload.hotload(watch=[['err.py']], steps=[\n"
            "    hotload.ReloadedPythonModule.from_module_name('err')])\n")
        self.assert_in_order(text)

    def test_an_exception_in_a_post_reload_hook(self):
        self.write("lib.py", "")
        text = self.launch(
            "import hotload\n"
            "class Step(hotload.ReloadedPythonModule):\n"
            "    def post_reload_hook(self, module):\n"
            "        print('line one')\n        print('line two')\n"
            "        raise ValueError('boom')\n"
            "hotload.hotload(watch=[['lib.py']],\n"
            "                steps=[Step.from_module_name('lib')])\n")
        self.assert_in_order(text)


class CommandThatRewritesItsInput(TestCase):
    """Case 6: a formatter run on save, and other writers of identical
    bytes: at most two rounds a save (the save, the formatter's one
    rewrite), never taken for the round's own write."""

    def rounds_per_save(self, command, expected, saves=3):
        """Save a.py (with trailing blanks) saves times under hotload -r
        command, and check that each save gave expected rounds (rounds
        whose "$@" holds a.py). After a save's expected rounds have ended,
        a save of b.txt fences them off: a round that a.py's last rewrite
        would start comes before the fence's round, or is it. Saves wait
        for the rounds before them to end, as a user's do: one made while
        two rounds in a row run may be taken for the rounds' own write."""
        self.write("a.py", "x = 0\n")
        self.write("b.txt", "fence 0\n")
        h = self.start("-r", command + '; echo "ran $*"', "a.py", "b.txt")
        h.wait_out("ran \n")
        h.wait_rounds(1)

        def ran(name, since=0):
            return sum(name in line.split() for line in
                       re.findall(r"^ran (.*)$", h.stdout(), re.M)[since:])

        def rounds():
            return len(re.findall(r"^ran ", h.stdout(), re.M))

        def over(done):
            """done() holds, and every round begun has ended."""
            return done() and len(h.rounds()) >= rounds()

        def state():
            return "stdout:\n%s\nstderr:\n%s" % (h.stdout(), h.stderr())
        counts = []
        for k in range(1, saves + 2):
            before = rounds()
            if k <= saves:
                write_atomic(self.path("a.py"), "x = %d   \n" % k)
                wait_until(lambda: over(lambda: ran("a.py", before) >=
                                        expected),
                           what=lambda: "%d rounds for a.py; %s"
                           % (expected, state()))
            self.write("b.txt", "fence %d\n" % k)
            wait_until(lambda: over(lambda: ran("b.txt") >= k),
                       what=lambda: "b.txt's round; " + state())
            counts.append(ran("a.py", before))
        self.assertNotIn(OWN_WRITE, h.stderr())
        # The save, and the formatter's one rewrite if it changed bytes;
        # after the last save, none.
        self.assertEqual(counts, [expected] * saves + [0], h.stdout())

    def test_sed_i_that_strips_trailing_blanks(self):
        self.rounds_per_save('sed -i "s/ *$//" "$@"', 2)
        self.assertEqual(read(self.path("a.py")), "x = 3\n")

    def test_a_command_that_writes_back_the_same_bytes(self):
        self.rounds_per_save(
            'for f; do cat "$f" > .copy && cat .copy > "$f"; done; '
            'rm -f .copy', 1)

    def test_a_command_that_touches_its_files(self):
        self.rounds_per_save('touch "$@"', 1)

    def test_touch_and_an_unchanged_rewrite_by_hand_run_no_round(self):
        self.write("a.py", "x = 1\n")
        self.write("b.txt", "fence 0\n")
        h = self.start("-r", 'echo "ran $*"', "a.py", "b.txt")
        h.wait_out("ran \n")

        def fences():
            """Rounds for b.txt, once every round begun has ended."""
            if len(h.rounds()) < len(re.findall(r"^ran ", h.stdout(),
                                                re.M)):
                return 0
            return len(re.findall(r"^ran .*\bb\.txt\b", h.stdout(), re.M))
        # A real save first, as a user's.
        write_atomic(self.path("a.py"), "x = 2\n")
        h.wait_out("ran a.py\n")
        h.wait_rounds(2)
        # touch, and a save of the same text by a rename (as an editor
        # saving an unchanged buffer, or git checking out the same file).
        for k, touch in enumerate((
                lambda: os.utime(self.path("a.py")),
                lambda: write_atomic(self.path("a.py"), "x = 2\n")), 1):
            touch()
            # Two fences: the second's round comes after a look at a.py
            # that followed the touch, whatever the watcher.
            for fence in ("a", "b"):
                self.write("b.txt", "fence %d%s\n" % (k, fence))
                n = 2 * k - (fence == "a")
                wait_until(lambda: fences() >= n, what=lambda: "fence %d; "
                           "stdout:\n%s" % (n, h.stdout()))
        self.assertEqual(h.stdout().count("a.py"), 1, h.stdout())


class DeletedFile(TestCase):
    """Case 7: a watched file deleted for good runs a round naming it."""

    def test_deleting_a_watched_file_runs_a_round_that_names_it(self):
        self.write("lib.py", "import hotload\n"
                   "print('module sees', list(hotload.changed), "
                   "flush=True)\n")
        self.write("b.py", "x = 1\n")
        h = self.start("-m", "lib", "-r",
                       'echo "args $*"; echo "env $HOTLOAD_CHANGED"',
                       "lib.py", "b.py")
        h.wait_out("args \n")
        h.wait_rounds(1)
        os.remove(self.path("b.py"))
        h.wait_out("args b.py\n")
        h.wait_out("env b.py\n")
        self.assertIn("module sees ['b.py']\n", h.stdout())
        self.assertEqual([n for n, _ in h.wait_rounds(2)], [1, 2],
                         h.stderr())

    def test_the_modules_own_file_gone_waits_for_it_to_come_back(self):
        self.write("lib.py", "print('loaded', flush=True)\n")
        self.write("c.txt", "fence\n")
        h = self.start("-m", "lib", "-r", 'echo "args $*"', "lib.py",
                       "c.txt")
        h.wait_out("args \n")
        h.wait_rounds(1)
        os.remove(self.path("lib.py"))
        h.wait_err("lib.py is gone; a round runs when it is back")
        self.write("lib.py", "print('back', flush=True)\n")
        h.wait_out("args lib.py\n")
        h.wait_rounds(2)
        self.write("c.txt", "fence 2\n")
        h.wait_out("args c.txt\n")
        self.assertEqual(re.findall(r"^args.*$", h.stdout(), re.M),
                         ["args ", "args lib.py", "args c.txt"])
        self.assertIn("back\n", h.stdout())


class SignalsTheModuleTook(TestCase):
    """Beyond the cases: a module that installs its own signal handlers
    (signal.signal, as servers do for a graceful stop) or blocks signals
    has them while its code runs; between rounds, hotload's are back."""

    TAKES = ("import signal\n"
             "def said(signo, frame):\n"
             "    print('the module got', signo, flush=True)\n"
             "signal.signal(signal.SIGTERM, said)\n"
             "signal.signal(signal.SIGINT, said)\n"
             "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGHUP})\n"
             "print('took them', flush=True)\n")

    def test_sigterm_ends_hotload_after_the_module_took_it(self):
        self.write("lib.py", self.TAKES)
        h = self.start("-m", "lib", "lib.py")
        h.wait_rounds(1)
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assertNotIn("the module got", h.stdout())

    def test_sighup_ends_hotload_after_the_module_blocked_it(self):
        self.write("lib.py", self.TAKES)
        h = self.start("-m", "lib", "lib.py")
        h.wait_rounds(1)
        self.assertEqual(h.stop(signal.SIGHUP), -signal.SIGHUP)

    def test_ctrl_c_ends_hotload_after_the_module_took_it(self):
        self.write("lib.py", self.TAKES)
        h = self.start("-m", "lib", "lib.py", tty=True)
        wait_until(lambda: statuses(h.stdout()),
                   what=lambda: "round 1; output:\n" + h.stdout())
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT, h.stdout())
        self.assertNotIn("the module got", h.stdout())

    def test_commands_still_run_after_the_module_ignored_sigchld(self):
        # SIGCHLD ignored has the kernel reap children at once: hotload
        # would lose its commands.
        self.write("lib.py", "import signal\n"
                   "signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n")
        status, out, err = self.run_hotload("--once", "-m", "lib", "-r",
                                            "echo ran", "lib.py")
        self.assertEqual((status, out), (0, "ran\n"), err)


FLASK_APP = '''\
from flask import Flask

V = %d
app = Flask(__name__)


@app.route("/")
def index():
    return "version %%d" %% V


def serve():
    app.run(host="127.0.0.1", port=%d, debug=%s, use_reloader=False)
'''


@unittest.skipUnless(embedded_python_has("flask"),
                     "Flask is not importable in the python hotload embeds "
                     "(%s); Debian's python3-flask gives it to /usr/bin/"
                     "python3" % PYTHON)
class Flask(TestCase):
    """Case 8: Flask's app.run() in a post-hook under --restart."""

    def serves_every_save(self, debug):
        port = free_port()
        self.write("app.py", FLASK_APP % (1, port, debug))
        h = self.start("--restart", "-m", "app", "--post-hook", "serve",
                       "app.py")
        for version in range(1, 6):
            if version > 1:
                write_atomic(self.path("app.py"),
                             FLASK_APP % (version, port, debug))
            want = "version %d" % version
            seen = []
            wait_until(lambda: seen.append(fetch(port)) or seen[-1] == want,
                       what=lambda: "%r on port %d; last answer %r; "
                       "stderr:\n%s" % (want, port, seen[-1], h.stderr()))
            self.assertNotIn("Address already in use", h.stderr())
        self.assertNotIn(OWN_WRITE, h.stderr())
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)

    def test_every_save_is_served(self):
        self.serves_every_save(False)

    def test_every_save_is_served_in_debug_mode(self):
        self.serves_every_save(True)


if __name__ == "__main__":
    unittest.main()
