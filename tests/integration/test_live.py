"""Live sessions: the --repl prompt, keys typed at the terminal, and
--restart stopping commands and Python code when a file is saved.

Keys and the prompt are typed as a user types them, on a pseudo-terminal
(the harness's tty mode) or in a tmux pane when stdin must be a pipe or the
rendered screen matters.
"""

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import unittest

from harness import (ROUND, TIMEOUT, TestCase, clean_env, hotload_argv,
                     needs_proc, read, rounds_in, wait_until, write_atomic)

BANNER = "exit() or Ctrl-D leaves."
PROMPT = ">>> "


def lib_source(value):
    """A module whose f() returns value, and says when it is loaded."""
    return ("print('loaded %d', flush=True)\n"
            "def f():\n"
            "    return %d\n" % (value, value))


def stat_fields(pid):
    """(state, ppid, pgrp) of pid from /proc, or None if it is gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(") ", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return fields[0], int(fields[1]), int(fields[2])


def processes():
    """(pid, state, ppid, pgrp) of every process, zombies included."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            f = stat_fields(int(name))
            if f is not None:
                found.append((int(name),) + f)
    return found


def group(pgid):
    """The processes, zombies included, in the process group pgid."""
    return [p for p in processes() if p[3] == pgid]


def zombie_children(pid):
    return [p for p in processes() if p[2] == pid and p[1] == "Z"]


def kill_group(pgid):
    """SIGKILL what is left of the process group pgid, after a test that
    failed before hotload could stop it."""
    try:
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stty_flags(text):
    """The words of `stty -a` output, such as 'icanon' or '-echo'."""
    return set(re.split(r"[\s;]+", text))


def no_controlling_terminal(args):
    """argv that runs args in a new session, with no controlling terminal,
    as a job started from cron or a service manager."""
    return [sys.executable, "-c",
            "import os, sys; os.setsid(); os.execv(sys.argv[1], sys.argv[1:])"
            ] + args


needs_tmux = unittest.skipUnless(shutil.which("tmux"), "needs tmux")


class Pane:
    """A 100x30 tmux pane running a shell command, as a user's terminal.
    Each pane has a tmux server of its own, with its socket in the test's
    directory, killed when the test ends."""

    count = 0

    def __init__(self, test, command):
        Pane.count += 1
        self.socket = "hotload-test-%d-%d" % (os.getpid(), Pane.count)
        self.env = clean_env(HOME=test.dir, SHELL="/bin/sh",
                             TMUX_TMPDIR=test.dir)
        self.env.pop("TMUX", None)
        test.panes.append(self)
        self.tmux("new-session", "-d", "-x", "100", "-y", "30", "-c",
                  test.dir, command + "; exec sleep 3600")

    def tmux(self, *args):
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", "/dev/null"] + list(args),
            env=self.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL, timeout=TIMEOUT,
            check=True).stdout.decode(errors="replace")

    def kill(self):
        subprocess.run(["tmux", "-L", self.socket, "kill-server"],
                       env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                       timeout=TIMEOUT)

    def screen(self):
        """The rendered screen, its lines without trailing blanks."""
        lines = self.tmux("capture-pane", "-p", "-J").split("\n")
        return "\n".join(line.rstrip() for line in lines).rstrip("\n")

    def wait_screen(self, predicate, what):
        """Wait until predicate(screen) holds; return that screen."""
        def check():
            screen = self.screen()
            return screen if predicate(screen) else None
        return wait_until(check, what=lambda: "%s; the screen:\n%s" % (
            what, self.screen()))

    def type(self, text):
        """Type text literally, as keys."""
        self.tmux("send-keys", "-l", text)

    def key(self, name):
        """Press a key by its tmux name: Enter, Space, C-c, C-d."""
        self.tmux("send-keys", name)

    def tty(self):
        return self.tmux("display-message", "-p", "#{pane_tty}").strip()

    def stty(self):
        """The pane's terminal settings, as `stty -a` gives them now."""
        fd = os.open(self.tty(), os.O_RDONLY | os.O_NOCTTY)
        try:
            return stty_flags(subprocess.run(
                ["stty", "-a"], stdin=fd, stdout=subprocess.PIPE,
                timeout=TIMEOUT, check=True).stdout.decode())
        finally:
            os.close(fd)


def shell_command(args, stdin_list=None, log=None):
    """The shell line that runs hotload with args in a pane: with the file
    list piped in, its output to a log file, then its exit status and the
    terminal's settings written to files for the test to read. Ctrl-C is
    trapped so that the shell outlives hotload, as an interactive one does."""
    line = shlex.join(hotload_argv(args))
    if stdin_list is not None:
        line = "printf '%s\\n' | " % stdin_list + line
    if log is not None:
        line += " >%s 2>&1" % log
    return ("trap : INT; %s; echo $? >status.txt; stty -a >stty.txt"
            % line)


class LiveTestCase(TestCase):
    def setUp(self):
        super().setUp()
        self.groups = set()
        self.panes = []

    def track(self, pgid):
        """Have the command's process group killed when the test ends, even
        if it failed before hotload could stop the group: a group left
        running would hold hotload's output pipes open."""
        self.groups.add(pgid)

    def tearDown(self):
        for pane in self.panes:
            pane.kill()
        for pgid in self.groups:
            kill_group(pgid)
        super().tearDown()

    def read_status(self):
        text = wait_until(lambda: read(self.path("status.txt")),
                          what="hotload to exit in the pane")
        return int(text)

    def log(self):
        return read(self.path("log")) or ""

    def wait_log(self, predicate, what):
        return wait_until(lambda: predicate(self.log()),
                          what=lambda: "%s; the log:\n%s" % (what, self.log()))

    def wait_log_rounds(self, n):
        self.wait_log(lambda log: len(rounds_in(log)) >= n,
                      "%d rounds" % n)
        return rounds_in(self.log())

    def terminal_restored(self):
        flags = stty_flags(wait_until(lambda: read(self.path("stty.txt")),
                                      what="stty after hotload"))
        self.assertTrue({"icanon", "echo"} <= flags,
                        "the terminal is left with %s" % sorted(
                            f for f in flags if f.endswith(("icanon", "echo"))))


class Repl(LiveTestCase):
    """--repl: a Python prompt in hotload's interpreter, between rounds."""

    def start_repl(self, *extra):
        self.write("lib.py", lib_source(1))
        h = self.start("--repl", "-m", "lib", *extra, "lib.py", tty=True,
                       env=clean_env(HOME=self.dir, TERM="xterm"))
        h.wait_out(BANNER)
        h.wait_out(PROMPT)
        return h

    def save(self, h, value, rounds):
        """Save lib.py with f() returning value; wait for its round."""
        self.write("lib.py", lib_source(value))
        self.assertEqual(h.wait_rounds(rounds)[-1], (rounds, "ok"))

    def test_prompt_calls_the_newest_code_in_the_same_process(self):
        h = self.start_repl()
        self.assertEqual(rounds_in(h.stdout()), [(1, "ok")])
        h.enter("lib.f(), f()", "(1, 1)\r\n" + PROMPT)
        self.save(h, 2, 2)
        self.assertIn("loaded 2", h.stdout())
        h.enter("lib.f(), f()", "(2, 2)\r\n" + PROMPT)
        h.enter("import os; os.getpid()", "%d\r\n" % h.proc.pid)
        self.assertNotIn("restarted", h.stdout())
        self.assertIsNone(h.proc.poll())

    def test_a_name_set_at_the_prompt_survives_a_round(self):
        h = self.start_repl()
        h.enter("x = [f()]", PROMPT)
        self.save(h, 2, 2)
        h.enter("x + [f()]", "[1, 2]\r\n")

    def test_exit_ends_hotload_with_status_0_and_keeps_the_history(self):
        h = self.start_repl()
        h.enter("lib.f()+41", "42\r\n")
        h.type(b"exit()\r")
        self.assertEqual(h.wait_exit(), 0)
        history = read(self.path(".hotload_history"))
        self.assertIsNotNone(history, "no history file in $HOME")
        self.assertEqual(history.splitlines()[-2:], ["lib.f()+41", "exit()"])

    def test_sys_exit_at_the_prompt_ends_hotload_with_its_status(self):
        h = self.start_repl()
        h.type(b"import sys; sys.exit(3)\r")
        self.assertEqual(h.wait_exit(), 3)

    def test_ctrl_d_at_an_empty_prompt_ends_hotload_with_status_0(self):
        h = self.start_repl()
        h.type(b"\x04")
        self.assertEqual(h.wait_exit(), 0)

    def test_ctrl_c_drops_the_line_and_hotload_keeps_running(self):
        h = self.start_repl()
        h.type(b"lib.f(")
        h.wait_out(PROMPT + "lib.f(")
        h.type(b"\x03")
        h.wait_out("KeyboardInterrupt\r\n" + PROMPT)
        self.assertIsNone(h.proc.poll())
        # The dropped "lib.f(" does not join the next line.
        h.enter("f() + 10", "11\r\n")
        self.save(h, 2, 2)
        h.enter("f() + 10", "12\r\n")

    @needs_proc
    def test_commands_read_dev_null(self):
        self.write("f.txt", "")
        h = self.start_repl("-r", "cat; echo cat done; readlink /proc/$$/fd/0")
        # The prompt came, so cat did not wait for the terminal.
        self.assertIn("cat done", h.stdout())
        self.assertIn("/dev/null", h.stdout())

    def test_repl_with_once_or_non_interactive_is_a_usage_error(self):
        self.write("lib.py", lib_source(1))
        for option, name in (("--once", "--once"), ("-1", "--once"),
                             ("-n", "--non-interactive"),
                             ("--non-interactive", "--non-interactive")):
            with self.subTest(option=option):
                status, out, err = self.run_hotload(
                    "--repl", option, "-m", "lib", "lib.py")
                self.assertEqual(status, 2)
                self.assertEqual(out, "")  # no round ran
                self.assertIn("hotload: --repl", err)
                self.assertIn(name, err)

    def test_repl_without_a_terminal_is_an_error(self):
        self.write("lib.py", lib_source(1))
        h = self.start(argv=no_controlling_terminal(
            hotload_argv(["--repl", "-m", "lib"])), stdin="lib.py\n")
        self.assertEqual(h.wait_exit(), 2)
        self.assertIn("--repl needs a terminal", h.stderr())
        self.assertEqual(h.stdout(), "")  # no round ran

    @needs_tmux
    def test_a_round_draws_the_half_typed_line_again(self):
        self.write("lib.py", lib_source(1))
        pane = Pane(self, shell_command(["--repl", "-m", "lib", "lib.py"]))
        pane.wait_screen(lambda s: s.endswith(PROMPT.rstrip()), "the prompt")
        pane.type("lib.f(")
        pane.wait_screen(lambda s: s.endswith(PROMPT + "lib.f("),
                         "the typed text")
        self.write("lib.py", lib_source(4))
        screen = pane.wait_screen(
            lambda s: "round 2 ok" in s and s.endswith(PROMPT + "lib.f("),
            "round 2, then the prompt and the line drawn again")
        # The round's output came above the prompt, and the line typed so
        # far is drawn once, after it.
        self.assertIn("loaded 4\nhotload: round 2 ok", screen)
        self.assertEqual(screen.count("lib.f("), 1, screen)
        pane.type(")")
        pane.key("Enter")
        screen = pane.wait_screen(lambda s: s.endswith("\n4\n>>>"),
                                  "the result and a new prompt")
        self.assertTrue(
            screen.endswith("\n" + PROMPT + "lib.f()\n4\n" + PROMPT.rstrip()),
            screen)
        pane.type("exit()")
        pane.key("Enter")
        self.assertEqual(self.read_status(), 0)

    @needs_tmux
    def test_with_the_file_list_on_stdin_the_prompt_reads_the_terminal(self):
        self.write("lib.py", lib_source(1))
        pane = Pane(self, shell_command(["--repl", "-m", "lib"],
                                        stdin_list="lib.py"))
        pane.wait_screen(lambda s: s.endswith(PROMPT.rstrip()), "the prompt")
        pane.type("f() + 100")
        pane.key("Enter")
        pane.wait_screen(lambda s: "\n101\n" in s, "the result")
        self.write("lib.py", lib_source(2))
        pane.wait_screen(lambda s: "round 2 ok" in s, "round 2")
        pane.type("f() + 100")
        pane.key("Enter")
        pane.wait_screen(lambda s: "\n102\n" in s, "the new result")
        pane.key("C-d")
        self.assertEqual(self.read_status(), 0)
        self.terminal_restored()


@needs_tmux
class Keys(LiveTestCase):
    """Keys typed at the terminal when stdin carried the file list."""

    def start_keys(self, *args):
        self.write("a.txt", "1\n")
        pane = Pane(self, shell_command(list(args), stdin_list="a.txt",
                                        log="log"))
        self.wait_log_rounds(1)
        return pane

    def test_enter_and_space_run_a_round(self):
        pane = self.start_keys("-r", "echo ran $#")
        pane.key("Enter")
        self.assertEqual(self.wait_log_rounds(2), [(1, "ok"), (2, "ok")])
        pane.key("Space")
        self.assertEqual(self.wait_log_rounds(3)[-1], (3, "ok"))
        # A round asked for with a key has no changed files.
        self.assertEqual(re.findall(r"ran \d+", self.log()), ["ran 0"] * 3)
        pane.type("q")
        self.assertEqual(self.read_status(), 0)

    def test_q_quits_with_status_0_and_restores_the_terminal(self):
        pane = self.start_keys("-r", "echo ran")
        # While hotload reads keys, the terminal sends each key at once.
        self.assertIn("-icanon", pane.stty())
        self.assertIn("-echo", pane.stty())
        pane.type("q")
        self.assertEqual(self.read_status(), 0)
        self.terminal_restored()
        self.assertEqual(rounds_in(self.log()), [(1, "ok")])

    def test_ctrl_c_restores_the_terminal(self):
        pane = self.start_keys("-r", "echo ran")
        self.assertIn("-icanon", pane.stty())
        pane.key("C-c")
        self.assertEqual(self.read_status(), 128 + signal.SIGINT)
        self.terminal_restored()

    def test_non_interactive_reads_no_keys(self):
        pane = self.start_keys("-n", "-r", 'echo "ran $*"')
        self.assertTrue({"icanon", "echo"} <= pane.stty())
        pane.key("Enter")
        pane.type("q")
        self.write("a.txt", "2\n")
        self.wait_log(lambda log: "ran a.txt" in log, "the save's round")
        self.assertEqual(self.wait_log_rounds(2), [(1, "ok"), (2, "ok")])
        self.assertIsNone(read(self.path("status.txt")))
        pane.key("C-c")
        self.assertEqual(self.read_status(), 128 + signal.SIGINT)
        self.assertEqual(rounds_in(self.log()), [(1, "ok"), (2, "ok")])
        self.assertEqual(re.findall(r"^ran.*", self.log(), re.M),
                         ["ran ", "ran a.txt"])

    @needs_proc
    def test_commands_read_dev_null_when_keys_are_read(self):
        pane = self.start_keys("-r", "cat; echo done; readlink /proc/$$/fd/0")
        self.assertIn("done\n/dev/null\n", self.log())
        pane.type("q")
        self.assertEqual(self.read_status(), 0)

    @needs_proc
    def test_with_n_commands_keep_stdin(self):
        pane = self.start_keys("-n", "-r", "readlink /proc/$$/fd/0")
        self.assertIn("pipe:", self.log())
        pane.key("C-c")
        self.assertEqual(self.read_status(), 128 + signal.SIGINT)


class NoTerminal(LiveTestCase):
    def test_without_a_terminal_keys_are_simply_not_read(self):
        self.write("a.txt", "1\n")
        h = self.start(argv=no_controlling_terminal(hotload_argv(
            ["-r", 'if (: </dev/tty) 2>/dev/null; then echo tty; '
             'else echo no tty; fi; echo "ran $*"'])), stdin="a.txt\n")
        h.wait_out("ran \n")
        self.assertIn("no tty\n", h.stdout())
        self.write("a.txt", "2\n")
        h.wait_out("ran a.txt\n")
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assertEqual(re.sub(ROUND.pattern + ".*\n", "", h.stderr(),
                                flags=re.M), "")


@needs_proc
class RestartCommand(LiveTestCase):
    """--restart, --signal and --kill-after with -r commands."""

    # Prints its shell's pid and a grandchild's, then waits for it.
    SLEEPER = 'sleep 30 & echo "start $$ $!"; wait'
    # Long enough that a group gone sooner got the signal, not SIGKILL.
    KILL_AFTER = 20
    QUICK = 10

    def starts(self, h, n):
        """Wait for the n-th "start PID CHILD" line; return all of them."""
        h.wait_out("start ", n)
        wait_until(lambda: len(re.findall(r"^start \d+ \d+\r?$", h.stdout(),
                                          re.M)) >= n,
                   what=lambda: "%d start lines: %s" % (n, h.stdout()))
        found = [(int(a), int(b)) for a, b in
                 re.findall(r"^start (\d+) (\d+)\r?$", h.stdout(), re.M)]
        for sh, _ in found:
            self.track(sh)
        return found

    def assert_group_gone(self, pgid, *pids):
        self.assertEqual(group(pgid), [], "processes left in the group")
        for pid in pids:
            self.assertIsNone(stat_fields(pid), "process %d is left" % pid)

    def test_a_save_stops_the_command_and_starts_it_again(self):
        self.write("a.txt", "1\n")
        h = self.start("--restart", "--kill-after", str(self.KILL_AFTER),
                       "-r", self.SLEEPER, "a.txt")
        [(sh, sleep)] = self.starts(h, 1)
        # The command leads a process group of its own.
        self.assertEqual(os.getpgid(sh), sh)
        self.assertEqual(os.getpgid(sleep), sh)
        saved = time.monotonic()
        self.write("a.txt", "2\n")
        starts = self.starts(h, 2)
        # SIGTERM reached the grandchild too: no wait for SIGKILL.
        self.assertLess(time.monotonic() - saved, self.QUICK)
        rounds = h.wait_rounds(1)
        self.assertEqual(rounds, [(1, "restarted")])
        self.assertIn("stopped for a change", h.stderr())
        self.assertNotEqual(starts[1][0], sh)
        # hotload waited for the whole group before it started again.
        self.assert_group_gone(sh, sh, sleep)
        self.assertEqual(zombie_children(h.proc.pid), [])
        # And the new command runs in its own group, stopped when hotload
        # ends.
        self.assertEqual(os.getpgid(starts[1][1]), starts[1][0])
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assert_group_gone(starts[1][0], *starts[1])

    def test_without_restart_saves_during_a_command_queue_one_round(self):
        self.write("a.txt", "1\n")
        # The first round (no changed files) waits for the file "go"; each
        # round says which files changed, and what a.txt holds.
        h = self.start("-r", 'echo "begin $*"; if [ $# = 0 ]; then '
                       'while [ ! -e go ]; do sleep 0.01; done; fi; '
                       'echo "end $* $(cat a.txt)"', "a.txt")
        h.wait_out("begin \n")
        self.write("a.txt", "2\n")
        self.write("a.txt", "3\n")
        self.write("go", "")
        h.wait_out("end a.txt 3\n")
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])
        # The next save runs round 3: no round came in between.
        self.write("a.txt", "4\n")
        h.wait_out("end a.txt 4\n")
        self.assertEqual(h.wait_rounds(3), [(1, "ok"), (2, "ok"), (3, "ok")])
        self.assertEqual(re.findall(r"^(?:begin|end).*", h.stdout(), re.M),
                         ["begin ", "end  3", "begin a.txt", "end a.txt 3",
                          "begin a.txt", "end a.txt 4"])
        self.assertNotIn("restarted", h.stderr())

    def test_signal_int_is_what_the_command_gets(self):
        self.write("a.txt", "1\n")
        h = self.start("--restart", "--signal", "INT", "-r",
                       'trap "echo got INT; exit 0" INT; trap "echo got TERM;'
                       ' exit 0" TERM; sleep 30 & echo "start $$ $!"; '
                       'while :; do sleep 0.05; done', "a.txt")
        [(sh, sleep)] = self.starts(h, 1)
        self.write("a.txt", "2\n")
        self.starts(h, 2)
        self.assertEqual(h.wait_rounds(1), [(1, "restarted")])
        self.assertIn("got INT\n", h.stdout())
        self.assertNotIn("got TERM", h.stdout())
        self.assert_group_gone(sh, sh, sleep)
        # hotload, when it ends, stops commands with the same signal.
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assertEqual(h.stdout().count("got INT\n"), 2)
        self.assertNotIn("got TERM", h.stdout())

    def test_kill_after_kills_a_command_that_ignores_the_signal(self):
        self.write("a.txt", "1\n")
        h = self.start("--restart", "--kill-after", "0.5", "-r",
                       'trap "" TERM; sleep 30 & echo "start $$ $!"; '
                       'while :; do sleep 0.05; done', "a.txt")
        [(sh, sleep)] = self.starts(h, 1)
        saved = time.monotonic()
        self.write("a.txt", "2\n")
        starts = self.starts(h, 2)
        elapsed = time.monotonic() - saved
        self.assertEqual(h.wait_rounds(1), [(1, "restarted")])
        self.assert_group_gone(sh, sh, sleep)
        # It ignored SIGTERM, so it lived until SIGKILL; with the default
        # --kill-after it would have lived 5 s.
        self.assertGreaterEqual(elapsed, 0.5)
        self.assertLess(elapsed, 4.5)
        # The same when hotload ends.
        ending = time.monotonic()
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assertGreaterEqual(time.monotonic() - ending, 0.5)
        self.assert_group_gone(starts[1][0], *starts[1])

    def hotload_ends_with_a_command_running(self, end, sig, tty=False):
        self.write("a.txt", "1\n")
        h = self.start("--kill-after", str(self.KILL_AFTER), "-r",
                       self.SLEEPER, "a.txt", tty=tty)
        [(sh, sleep)] = self.starts(h, 1)
        self.assertEqual(len(group(sh)), 2)
        ending = time.monotonic()
        end(h)
        self.assertEqual(h.wait_exit(), -sig)
        self.assertLess(time.monotonic() - ending, self.QUICK)
        self.assert_group_gone(sh, sh, sleep)

    def test_sigterm_stops_the_whole_group(self):
        self.hotload_ends_with_a_command_running(
            lambda h: h.proc.send_signal(signal.SIGTERM), signal.SIGTERM)

    def test_sighup_stops_the_whole_group(self):
        self.hotload_ends_with_a_command_running(
            lambda h: h.proc.send_signal(signal.SIGHUP), signal.SIGHUP)

    def test_ctrl_c_stops_the_whole_group(self):
        self.hotload_ends_with_a_command_running(
            lambda h: h.type(b"\x03"), signal.SIGINT, tty=True)

    def test_hotload_ending_stops_what_an_ended_command_left_running(self):
        self.write("a.txt", "1\n")
        h = self.start("-r", 'sleep 30 & echo "start $$ $!"', "a.txt")
        [(sh, sleep)] = self.starts(h, 1)
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        wait_until(lambda: stat_fields(sh) is None, what="the shell to end")
        self.assertEqual([p[0] for p in group(sh)], [sleep])
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assert_group_gone(sh, sleep)

    def test_restart_stops_what_the_last_run_left_before_starting_again(
            self):
        # A command that starts a server in the background and ends.
        self.write("a.txt", "1\n")
        h = self.start("--restart", "--kill-after", str(self.KILL_AFTER),
                       "-r", 'sleep 30 & echo "start $$ $!"', "a.txt")
        [(sh, sleep)] = self.starts(h, 1)
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        wait_until(lambda: stat_fields(sh) is None, what="the shell to end")
        self.assertEqual([p[0] for p in group(sh)], [sleep])
        saved = time.monotonic()
        self.write("a.txt", "2\n")
        starts = self.starts(h, 2)
        self.assertLess(time.monotonic() - saved, self.QUICK)
        # The first server was gone before the second started.
        self.assert_group_gone(sh, sleep)
        self.assertEqual([p[0] for p in group(starts[1][0])], [starts[1][1]])
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assert_group_gone(starts[1][0], starts[1][1])

    def test_without_restart_what_a_run_left_keeps_running(self):
        self.write("a.txt", "1\n")
        h = self.start("-r", 'sleep 30 & echo "start $$ $!"', "a.txt")
        [(sh, sleep)] = self.starts(h, 1)
        self.write("a.txt", "2\n")
        starts = self.starts(h, 2)
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])
        # The first one is still running.
        self.assertNotIn((stat_fields(sleep) or "Z")[0], "Z")
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        self.assert_group_gone(sh, sleep)
        self.assert_group_gone(starts[1][0], starts[1][1])

    def test_ctrl_c_kills_a_group_that_ignores_the_signal(self):
        self.write("a.txt", "1\n")
        h = self.start("--kill-after", "0.5", "-r",
                       'trap "" TERM; sleep 30 & echo "start $$ $!"; '
                       'while :; do sleep 0.05; done', "a.txt", tty=True)
        [(sh, sleep)] = self.starts(h, 1)
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT)
        self.assert_group_gone(sh, sh, sleep)


class RestartPython(LiveTestCase):
    """--restart with a module whose code runs on: a loop, a server."""

    @staticmethod
    def module(value, loop_in):
        """A module that counts forever, at its top level or in run()."""
        loop = ("    i = 0\n"
                "    while True:\n"
                "        print('loop', V, i, flush=True)\n"
                "        i += 1\n"
                "        time.sleep(0.1)\n")
        text = ("import time\n"
                "V = %d\n"
                "def stop():\n"
                "    print('cleanup', V, flush=True)\n" % value)
        if loop_in == "run":
            return text + "def run():\n" + loop
        return text + "if True:\n" + loop

    def restarts(self, loop_in, *hooks):
        self.write("lib.py", self.module(1, loop_in))
        h = self.start("--restart", "-m", "lib", "--pre-hook", "stop",
                       *hooks, "lib.py")
        h.wait_out("loop 1 1\n")
        for old in (1, 2):
            # Saved whole, by a rename: on a busy machine an in-place save
            # may be seen half-way (emptied, not yet written), and restart
            # the module once for each half.
            write_atomic(self.path("lib.py"), self.module(old + 1, loop_in))
            h.wait_out("loop %d 1\n" % (old + 1))
            out = h.stdout()
            cleanup = out.index("cleanup %d\n" % old)
            # The old loop stopped before its clean-up, then the new one ran.
            self.assertNotIn("loop %d " % old, out[cleanup:])
            self.assertLess(cleanup, out.index("loop %d 0\n" % (old + 1)))
            self.assertEqual(out.count("cleanup"), old)
            self.assertEqual(h.wait_rounds(old),
                             [(n, "restarted") for n in range(1, old + 1)])
        self.assertIn("round 1 restarted", h.stderr())
        self.assertIn("lib stopped for a change", h.stderr())
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)

    def test_a_save_stops_a_top_level_loop(self):
        self.restarts("top")

    def test_a_save_stops_a_loop_in_the_post_hook(self):
        self.restarts("run", "--post-hook", "run")

    def test_without_restart_a_save_does_not_stop_the_loop(self):
        self.write("lib.py", self.module(1, "top"))
        h = self.start("-m", "lib", "--pre-hook", "stop", "lib.py", tty=True)
        h.wait_out("loop 1 1\r\n")
        self.write("lib.py", self.module(2, "top"))
        # The loop goes on, in its old version, through the save.
        text = h.stdout()
        last = int(re.findall(r"loop 1 (\d+)", text)[-1])
        h.wait_out("loop 1 %d\r\n" % (last + 5))
        self.assertNotIn("cleanup", h.stdout())
        self.assertNotIn("loop 2 ", h.stdout())
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT)
        self.assertEqual(h.rounds(), [])
