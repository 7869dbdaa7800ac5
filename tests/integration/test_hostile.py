"""Hostile inputs and faults: odd file lists and names, files that are not
files, modules that misbehave, a system that fails under hotload, and
attempts to make it run what it should not. Each test says what the user
sees (hotload's message, the output, the exit status) and checks that
hotload carries on with whatever is still usable.

Stdin that never ends, with --once, is covered in test_cli.py.
"""

import hashlib
import os
import pty
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import unittest

from harness import (BIN, TIMEOUT, WATCHER, TestCase, _take_terminal, alive,
                     clean_env, hotload_argv, needs_proc, read, read_pid,
                     wait_until, write)

# For what takes long on a loaded machine: 100,000 paths, 50 MB of output.
LONG = 4 * TIMEOUT

# A command that shows, in hex, each of its arguments and HOTLOAD_CHANGED,
# so that names are compared byte for byte.
SHOW_ARGS = shlex.quote(sys.executable) + " -c " + shlex.quote(
    "import os, sys\n"
    "print('ARGV', *[os.fsencode(a).hex() for a in sys.argv[1:]])\n"
    "print('ENV', os.environb[b'HOTLOAD_CHANGED'].hex())\n") + ' "$@"'

# A module that shows, in hex, the names in hotload.changed.
SHOW_CHANGED = ("import hotload, os\n"
                "print('MOD', *[os.fsencode(n).hex() "
                "for n in hotload.changed], flush=True)\n")

# A command that lists the descriptors it was started with (and the one
# it lists them with), then what each was.
LIST_FDS = shlex.quote(sys.executable) + " -c " + shlex.quote(
    "import os\n"
    "fds = sorted(os.listdir('/proc/self/fd'), key=int)\n"
    "def what(fd):\n"
    "    try:\n"
    "        return os.readlink('/proc/self/fd/' + fd)\n"
    "    except OSError:\n"
    "        return 'closed'\n"
    "print('fds', *fds, '=', [what(fd) for fd in fds], flush=True)\n")

ECHO = 'echo "ran [$*]"'

def fds_listed(out):
    """The descriptors LIST_FDS printed, and what they were."""
    m = re.search(r"^fds ([\d ]+) = (.*)$", out, re.M)
    return m.group(1).split(), m.group(2)


class HostileTestCase(TestCase):
    def setUp(self):
        super().setUp()
        self.locked = []

    def tearDown(self):
        # Give back what a test took away, so that the tree can be removed
        # when the tests do not run as root.
        for path in self.locked:
            os.chmod(path, 0o755)
        super().tearDown()

    def bpath(self, name):
        return os.path.join(os.fsencode(self.dir), name)

    def as_nobody(self, args):
        """The command line that runs hotload with args, as a user who
        cannot read what the test made unreadable: the test's own user, or
        nobody when the tests run as root (who reads everything)."""
        if os.geteuid() != 0:
            return hotload_argv(args)
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            self.skipTest("running as root, and setpriv(1), needed to run "
                          "hotload as an unprivileged user, is missing")
        drop = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
        if subprocess.run(drop + [BIN, "--version"], env=clean_env(),
                          stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            self.skipTest("hotload cannot start as the user nobody (is its "
                          "libpython below a private directory?)")
        os.chmod(self.dir, 0o777)
        return drop + hotload_argv(args)


class FileLists(HostileTestCase):
    def test_100000_paths_on_stdin_mostly_missing(self):
        real = self.write("real.txt", "")
        names = ["gone/%d.txt" % i for i in range(100000)]
        names.insert(50000, "real.txt")
        h = self.start("-n", "-r", ECHO, stdin="\n".join(names) + "\n")
        h.wait_out("ran []\n", timeout=LONG)
        h.wait_rounds(1, timeout=LONG)  # what came before it is in, too
        err = h.stderr()
        missing = re.findall(r"^hotload: (.*): No such file or directory "
                             r"\(watching for it to appear\)$", err, re.M)
        self.assertEqual(missing, names[:10], err)
        self.assertIn("hotload: gone/9.txt: No such file or directory "
                      "(watching for it to appear)\n"
                      "hotload: 99990 more paths cannot be looked at now "
                      "(watching for those to appear)\n", err)
        write(real, "saved\n")
        h.wait_out("ran [real.txt]\n", timeout=LONG)
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])

    def test_path_longer_than_path_max_is_skipped(self):
        real = self.write("real.txt", "")
        long = "/".join(["d" * 200] * 25)  # 5024 bytes; PATH_MAX is 4096
        said = "hotload: %s...: File name too long (skipped)\n" % long[:200]
        for how in ("argument", "stdin"):
            with self.subTest(how):
                if how == "argument":
                    h = self.start("-r", ECHO, long, "real.txt")
                else:
                    h = self.start("-n", "-r", ECHO,
                                   stdin=long + "\nreal.txt\n")
                h.wait_out("ran []\n")
                h.wait_err(said)
                write(real, how)
                h.wait_out("ran [real.txt]\n")
                self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])
                h.stop()


class OddNames(HostileTestCase):
    """Each changed file is named exactly, byte for byte, to commands ("$@"
    and HOTLOAD_CHANGED) and to Python (hotload.changed)."""

    def check(self, names, how, stdin=None):
        self.write("show.py", SHOW_CHANGED)
        for name in names:
            write(self.bpath(name), "")
        if how == "arguments":
            h = self.start("-m", "show", "-r", SHOW_ARGS, "--", *names)
        else:
            h = self.start("-n", *how, "-m", "show", "-r", SHOW_ARGS,
                           stdin=stdin)
        h.wait_out("ENV \n")
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        for n, name in enumerate(names, 2):
            write(self.bpath(name), "saved %d\n" % n)
            for line in ("MOD ", "ARGV ", "ENV "):
                h.wait_out(line + name.hex() + "\n")
            self.assertEqual(h.wait_rounds(n)[-1], (n, "ok"))
        self.assertNotIn("Traceback", h.stderr())

    def test_names_as_arguments(self):
        self.check([b"with space.txt", b"bad\xff\xfeutf8.txt", b"-dash.txt",
                    b"--double-dash.txt"], "arguments")

    def test_names_on_stdin_one_per_line(self):
        names = [b"with space.txt", b"bad\xff\xfeutf8.txt", b"-dash.txt"]
        self.check(names, [], stdin=b"".join(n + b"\n" for n in names))

    def test_names_on_stdin_null_separated(self):
        names = [b"new\nline.txt", b"with space.txt", b"bad\xc3\x28.txt",
                 b"-dash.txt", b"tab\there.txt"]
        self.check(names, ["-0"], stdin=b"".join(n + b"\0" for n in names))


class NotPlainFiles(HostileTestCase):
    def test_fifo_socket_and_device_are_watched_without_a_hang(self):
        os.mkfifo(self.path("fifo"))
        sock = socket.socket(socket.AF_UNIX)
        self.addCleanup(sock.close)
        sock.bind(self.path("sock"))
        real = self.write("real.txt", "")
        # The FIFO and the socket below a DIR, /dev/zero as a FILE; nothing
        # is opened: a FIFO with no writer, or /dev/zero, would never end.
        h = self.start("-v", "-r", ECHO, "/dev/zero", ".")
        h.wait_out("ran []\n")
        h.wait_err("hotload: watching 4 files ")
        write(real, "x")
        h.wait_out("ran [real.txt]\n")
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])
        # No complaint about any of them.
        self.assertNotIn("(skipped)", h.stderr())
        self.assertNotIn("appear)", h.stderr())

    def test_symlink_loop_is_reported_and_watched_until_it_is_a_file(self):
        os.symlink("loop2", self.path("loop1"))
        os.symlink("loop1", self.path("loop2"))
        real = self.write("real.txt", "")
        h = self.start("-r", ECHO, "loop1", "real.txt")
        h.wait_out("ran []\n")
        h.wait_err("hotload: loop1: Too many levels of symbolic links "
                   "(watching for it to appear)\n")
        write(real, "x")
        h.wait_out("ran [real.txt]\n")
        h.wait_rounds(2)
        os.unlink(self.path("loop1"))
        write(self.path("loop1"), "a file now\n")
        h.wait_out("ran [loop1]\n")
        self.assertEqual(h.wait_rounds(3)[-1], (3, "ok"))

    def test_unreadable_file_is_watched_and_its_reader_fails(self):
        secret = self.write("secret.txt", "s\n")
        os.chmod(secret, 0o200)  # the owner may write, nobody may read
        h = self.start(argv=self.as_nobody(["-r", "cat secret.txt",
                                            "secret.txt"]))
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        self.assertIn("secret.txt: Permission denied", h.stderr())
        self.assertIn("'cat secret.txt' exit 1", h.stderr())
        with open(secret, "a") as f:
            f.write("more\n")
        self.assertEqual(h.wait_rounds(2)[-1], (2, "failed"))
        self.assertIsNone(h.proc.poll())

    def test_unreadable_directory_is_skipped_until_it_can_be_read(self):
        closed = self.path("closed")
        self.write("closed/a.txt", "")
        os.chmod(closed, 0)
        self.locked.append(closed)
        real = self.write("real.txt", "")
        h = self.start(argv=self.as_nobody(["-r", ECHO, "closed",
                                            "real.txt"]))
        h.wait_out("ran []\n")
        h.wait_rounds(1)
        self.assertRegex(h.stderr(), r"(?m)^hotload: (.*/)?closed: "
                                     r"Permission denied \(skipped\)$")
        write(real, "x")
        h.wait_out("ran [real.txt]\n")
        h.wait_rounds(2)
        # Once it can be read, its files join.
        os.chmod(closed, 0o755)
        h.wait_out("ran [closed/a.txt]\n")
        self.assertEqual(h.wait_rounds(3)[-1], (3, "ok"))

    def test_empty_stdin(self):
        status, out, err = self.run_hotload("-r", "true", stdin="")
        self.assertEqual(status, 1)
        self.assertEqual(err, "hotload: nothing to watch: the list of files "
                              "is empty (name files as arguments or pipe "
                              "them in; see hotload(1))\n")

    def test_closed_stdin(self):
        p = subprocess.run(hotload_argv(["-r", "true"]), cwd=self.dir,
                           env=clean_env(), preexec_fn=lambda: os.close(0),
                           capture_output=True, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 1)
        self.assertIn(b"hotload: nothing to watch: the list of files is "
                      b"empty", p.stderr)


class HostileModules(HostileTestCase):
    def test_dot_dot_in_a_module_name_is_a_usage_error(self):
        status, out, err = self.run_hotload("-m", "lib..x", "lib.py")
        self.assertEqual(status, 2)
        self.assertEqual(err, "hotload: --module 'lib..x': not a module name "
                              "(give a name such as lib or pkg.mod, or a "
                              "file such as pkg/mod.py)\n")

    def test_module_file_in_the_parent_directory(self):
        parent = os.path.realpath(self.dir)
        self.write("lib.py", "import hotload, os, sys\n"
                   "print(__name__, hotload.reloads, %r in "
                   "[os.path.normpath(p) for p in sys.path], flush=True)\n"
                   % parent)
        os.mkdir(self.path("sub"))
        h = self.start("-m", "../lib.py", "../lib.py", cwd=self.path("sub"))
        h.wait_out("lib 0 True\n")
        self.write("lib.py", read(self.path("lib.py")) + "# saved\n")
        h.wait_out("lib 1 True\n")
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])

    def test_50_mb_of_output_arrives_whole_and_in_order(self):
        lines = 50 * 1024 * 1024 // 100
        self.write("big.py", "for i in range(%d):\n"
                   "    print('%%09d' %% i + 'x' * 90)\n" % lines)
        expected = hashlib.sha256()
        for i in range(lines):
            expected.update(b"%09d" % i + b"x" * 90 + b"\n")
        expected.update(b"after\n")
        p = subprocess.Popen(
            hotload_argv(["-1", "-m", "big", "-r", "echo after", "big.py"]),
            cwd=self.dir, env=clean_env(), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            out, err = p.communicate(timeout=LONG)
        finally:
            p.kill()
            p.wait()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(len(out), lines * 100 + len(b"after\n"))
        self.assertEqual(hashlib.sha256(out).hexdigest(),
                         expected.hexdigest())
        self.assertRegex(err.decode(), r"^hotload: round 1 ok in [^:]+: "
                                       r"big ok, 'echo after' ok\n$")

    def test_fork_in_a_module_does_not_make_a_second_hotload(self):
        self.write("lib.py", "import os\npid = os.fork()\n"
                   "print('child' if pid == 0 else 'parent', os.getpid(), "
                   "flush=True)\n")
        h = self.start("-m", "lib", "lib.py")
        for n in (1, 2):
            h.wait_out("child ", n)
            h.wait_out("parent ", n)
            h.wait_rounds(n)
            child = int(re.findall(r"^child (\d+)$", h.stdout(), re.M)[-1])
            wait_until(lambda: not alive(child), what="the child to end")
            if n == 1:
                self.write("lib.py", read(self.path("lib.py")) + "# saved\n")
        # Once hotload is gone, every writer is: all the output is in.
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)
        # Only the parent spoke: its two status lines (and, where a sweep
        # is slow, as in a sanitizer build, the polling rate it keeps).
        said = [line for line in re.findall(r"^hotload: .*$", h.stderr(),
                                            re.M)
                if not line.startswith("hotload: polling ")]
        self.assertEqual(said, re.findall(r"^hotload: round [12] ok in .*: "
                                          r"lib ok$", h.stderr(), re.M))
        self.assertEqual(h.rounds(), [(1, "ok"), (2, "ok")])
        self.assertEqual(len(re.findall(r"^child \d+$", h.stdout(), re.M)), 2)

    def test_os_exit_ends_hotload_with_its_status(self):
        self.write("lib.py", "print('first', flush=True)\n")
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("first\n")
        h.wait_rounds(1)
        self.write("lib.py", "import os\nprint('bye', flush=True)\n"
                   "os._exit(3)\n")
        self.assertEqual(h.wait_exit(), 3)
        self.assertEqual(h.stdout(), "first\nbye\n")
        self.assertEqual(h.rounds(), [(1, "ok")])

    def test_endless_recursion_fails_the_round_and_the_next_save_recovers(
            self):
        self.write("lib.py", "def f(n):\n    return f(n + 1)\n\nf(0)\n")
        h = self.start("-m", "lib", "lib.py")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        err = h.stderr()
        self.assertIn("Traceback (most recent call last):", err)
        self.assertIn("RecursionError: maximum recursion depth exceeded", err)
        self.assertRegex(err, r"hotload: round 1 failed in .*: "
                              r"lib RecursionError\n")
        self.write("lib.py", "print('fixed')\n")
        h.wait_out("fixed\n")
        self.assertEqual(h.wait_rounds(2), [(1, "failed"), (2, "ok")])

    def test_module_that_deletes_its_own_file(self):
        text = "import os\nprint('ran', flush=True)\nos.remove(__file__)\n"
        self.write("lib.py", text)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("ran\n")
        h.wait_err("hotload: lib.py is gone; a round runs when it is back\n")
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        self.write("lib.py", text)
        h.wait_out("ran\n", count=2)
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])
        h.wait_err("is gone", count=2)


class Faults(HostileTestCase):
    @unittest.skipIf(WATCHER == "poll", "about inotify")
    def test_no_inotify_watches_at_start_means_polling(self):
        f = self.write("f.txt", "")
        h = self.start(argv=[BIN, "--watcher=auto", "-r", ECHO, "f.txt"],
                       env=clean_env(HOTLOAD_MAX_WATCHES="0"))
        h.wait_out("ran []\n")
        h.wait_err("hotload: inotify cannot watch these files: it would "
                   "need more than HOTLOAD_MAX_WATCHES=0 watches; polling "
                   "instead\n")
        write(f, "x")
        h.wait_out("ran [f.txt]\n")
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "ok")])

    @unittest.skipIf(WATCHER == "poll", "about inotify")
    def test_inotify_watches_running_out_later_means_polling(self):
        f = self.write("d/f.txt", "")
        h = self.start(argv=[BIN, "--watcher=auto", "-r", ECHO, "d"],
                       env=clean_env(HOTLOAD_MAX_WATCHES="1"))
        h.wait_out("ran []\n")
        h.wait_rounds(1)
        self.write("d/sub/g.txt", "")
        h.wait_err("hotload: inotify cannot watch the files any more: it "
                   "would need more than HOTLOAD_MAX_WATCHES=1 watches; "
                   "polling instead\n")
        h.wait_out("ran [d/sub/g.txt]\n")
        h.wait_rounds(2)
        write(f, "x")
        h.wait_out("ran [d/f.txt]\n")
        self.assertEqual(h.wait_rounds(3)[-1], (3, "ok"))

    def test_watched_directory_removed_and_made_again(self):
        for what in ("d/f.txt", "d"):
            with self.subTest(what):
                self.write("d/f.txt", "")
                h = self.start("-r", ECHO, what)
                h.wait_out("ran []\n")
                h.wait_rounds(1)
                shutil.rmtree(self.path("d"))
                # Gone, it runs a round that names it; back, another.
                h.wait_err("hotload: d/f.txt is gone\n")
                h.wait_out("ran [d/f.txt]\n")
                self.assertEqual(h.wait_rounds(2)[-1], (2, "ok"))
                self.write("d/f.txt", "back\n")
                h.wait_out("ran [d/f.txt]\n", count=2)
                self.assertEqual(h.wait_rounds(3)[-1], (3, "ok"))
                h.stop()
                shutil.rmtree(self.path("d"))

    def test_closing_the_terminal_ends_hotload_and_its_command(self):
        self.write("f.txt", "")
        # A pty of the test's own, not Hotload(tty=True): its reader thread,
        # blocked in read(), would keep the terminal open after the close.
        master, slave = pty.openpty()
        proc = subprocess.Popen(
            hotload_argv(["-r", "echo $$ > cpid; sleep 30 & echo $! > gpid; "
                          "wait", "f.txt"]),
            cwd=self.dir, env=clean_env(), stdin=slave, stdout=slave,
            stderr=slave, start_new_session=True, preexec_fn=_take_terminal)
        os.close(slave)
        self.addCleanup(proc.wait)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        try:
            command = read_pid(self.path("cpid"))
            grandchild = read_pid(self.path("gpid"))
            self.assertTrue(alive(command) and alive(grandchild))
        finally:
            os.close(master)
        try:
            status = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.fail("hotload did not end when its terminal was closed")
        self.assertEqual(status, -signal.SIGHUP)
        wait_until(lambda: not alive(command) and not alive(grandchild),
                   what="the command and its child to end")

    def test_stdout_reader_gone_while_idle(self):
        self.write("lib.py", "print('ready')\n")
        p = self.start("-m", "lib", "lib.py", read_stdout=False)
        self.assertEqual(p.readline(), b"ready\n")
        wait_until(lambda: "round 1 ok" in p.stderr(), what="round 1")
        p.proc.stdout.close()
        self.assertEqual(p.wait_exit(), -signal.SIGPIPE)

    def test_stdout_reader_gone_while_a_command_writes(self):
        self.write("f.txt", "")
        p = self.start("-r", "yes", "f.txt", read_stdout=False)
        self.assertEqual(p.readline(), b"y\n")
        p.proc.stdout.close()
        self.assertEqual(p.wait_exit(), -signal.SIGPIPE)

    def test_stdout_reader_gone_while_a_module_writes(self):
        self.write("lib.py", "print('ready', flush=True)\n"
                   "while True:\n    print('x' * 100)\n")
        p = self.start("-m", "lib", "lib.py", read_stdout=False)
        self.assertEqual(p.readline(), b"ready\n")
        p.proc.stdout.close()
        self.assertEqual(p.wait_exit(), -signal.SIGPIPE)
        self.assertIn("BrokenPipeError", p.stderr())

    def test_stdout_reader_gone_while_a_restart_module_runs(self):
        self.write("lib.py", "import time\nprint('ready', flush=True)\n"
                   "time.sleep(1)\n")
        p = self.start("--restart", "-m", "lib", "lib.py", read_stdout=False)
        self.assertEqual(p.readline(), b"ready\n")
        p.proc.stdout.close()
        self.assertEqual(p.wait_exit(), -signal.SIGPIPE)

    def full_disk(self, *args):
        """hotload with args, its stdout on /dev/full."""
        if not os.path.exists("/dev/full"):
            self.skipTest("needs /dev/full")
        return self.start(argv=["sh", "-c", 'exec "$0" "$@" >/dev/full'] +
                          hotload_argv(args))

    def test_disk_full_fails_the_round_and_hotload_goes_on(self):
        self.write("lib.py", "print('hello', flush=True)\n")
        h = self.full_disk("-m", "lib", "lib.py")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        err = h.stderr()
        self.assertIn("Traceback (most recent call last):", err)
        self.assertIn("OSError: [Errno 28] No space left on device\n", err)
        self.assertRegex(err, r"hotload: round 1 failed in .*: lib OSError\n")
        self.write("lib.py", "print('again', flush=True)\n")
        self.assertEqual(h.wait_rounds(2)[-1], (2, "failed"))
        # Python keeps what it could not write, and tries again after
        # each step: a step that prints nothing fails too, for that.
        self.write("lib.py", "x = 1\n")
        self.assertEqual(h.wait_rounds(3)[-1], (3, "failed"))
        self.assertRegex(h.stderr(), r"hotload: round 3 failed in .*: "
                                     r"lib output OSError\n")
        self.assertIsNone(h.proc.poll())

    def test_disk_full_is_reported_for_buffered_output(self):
        # Output Python buffered, written by hotload after the step.
        self.write("lib.py", "print('hello')\n")
        h = self.full_disk("-m", "lib", "lib.py")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        err = h.stderr()
        self.assertIn("OSError: [Errno 28] No space left on device\n", err)
        self.assertRegex(err, r"hotload: round 1 failed in .*: "
                              r"lib output OSError\n")
        self.assertIsNone(h.proc.poll())


class Security(HostileTestCase):
    def test_file_names_never_reach_a_shell_string(self):
        names = ["$(touch pwned)", "; touch pwned2", "`touch pwned3`",
                 "| touch pwned4 #", "$HOME'\".txt"]
        for name in names:
            self.write(name, "")
        self.write("show.py", "import hotload\n"
                   "print('mod', *hotload.changed, sep='|', flush=True)\n")
        h = self.start("-v", "-m", "show",
                       "-r", "printf '<%s>\\n' \"$@\"",
                       "-r", "echo env $HOTLOAD_CHANGED",
                       "-r", 'for f in "$@"; do cat -- "$f"; done',
                       *names)
        h.wait_out("env\n")  # the first round: no names
        for n, name in enumerate(names, 2):
            self.write(name, "content %d\n" % n)
            h.wait_out("content %d\n" % n)
            self.assertEqual(h.wait_rounds(n)[-1], (n, "ok"))
            out = h.stdout()
            self.assertIn("mod|%s\n" % name, out)
            self.assertIn("<%s>\n" % name, out)
            self.assertIn("env %s\n" % " ".join(name.split()), out)
            self.assertIn("hotload: changed: %s\n" % name, h.stderr())
        self.assertEqual(sorted(n for n in os.listdir(self.dir)
                                if "pwned" in n and n not in names), [])

    @needs_proc
    def test_commands_inherit_no_descriptors(self):
        self.write("lib.py", "")
        f = self.write("f.txt", "")
        # Python, the watcher and --restart's machinery all at work.
        h = self.start("--restart", "-m", "lib", "-r", LIST_FDS, "lib.py",
                       "f.txt")
        h.wait_out("fds ")
        h.wait_rounds(1)
        write(f, "x")
        h.wait_out("fds ", count=2)
        for out in h.stdout().splitlines():
            self.assertEqual(fds_listed(out)[0], ["0", "1", "2", "3"],
                             fds_listed(out)[1])

    @needs_proc
    def test_commands_inherit_no_descriptors_when_keys_are_read(self):
        self.write("f.txt", "")
        self.write("lib.py", "")
        h = self.start(argv=["sh", "-c", 'echo f.txt | exec "$@"', "sh"] +
                       hotload_argv(["-m", "lib", "-r", LIST_FDS]),
                       tty=True)
        h.wait_out("fds ")
        fds, what = fds_listed(h.stdout().replace("\r", ""))
        self.assertEqual(fds, ["0", "1", "2", "3"], what)
        self.assertIn("'/dev/null'", what)  # commands read /dev/null

    @needs_proc
    def test_module_children_inherit_no_descriptors_with_restart(self):
        self.write("lib.py", "import os\nos.system(%r)\n" % LIST_FDS)
        h = self.start("--restart", "-m", "lib", "lib.py")
        h.wait_out("fds ")
        fds, what = fds_listed(h.stdout())
        self.assertEqual(fds, ["0", "1", "2", "3"], what)

    @needs_proc
    def test_module_children_inherit_no_descriptors(self):
        self.write("lib.py", "import os\nos.system(%r)\n" % LIST_FDS)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("fds ")
        fds, what = fds_listed(h.stdout())
        self.assertEqual(fds, ["0", "1", "2", "3"], what)

    def test_nothing_is_written_into_the_tree_or_the_temporary_directory(
            self):
        tmp = tempfile.mkdtemp(prefix="hotload-tmpdir-")
        self.addCleanup(shutil.rmtree, tmp, True)
        made = {"lib.py": "import helper, other, pkg.mod\n"
                          "print('lib', helper.VALUE, pkg.mod.VALUE)\n",
                "helper.py": "VALUE = 1\n",
                "other.py": "",  # imported, not watched
                "pkg/__init__.py": "",
                "pkg/mod.py": "VALUE = 'a'\n"}
        for name, text in made.items():
            self.write(name, text)
        h = self.start("-R", "-m", "lib", "-r", "echo done", "lib.py",
                       "helper.py", "pkg/mod.py", env=clean_env(TMPDIR=tmp))
        h.wait_out("lib 1 a\n")
        h.wait_rounds(1)
        for n, (name, text, shows) in enumerate([
                ("helper.py", "VALUE = 2\n", "lib 2 a\n"),
                ("pkg/mod.py", "VALUE = 'b'\n", "lib 2 b\n"),
                ("lib.py", made["lib.py"] + "# saved\n", "lib 2 b\n")], 2):
            self.write(name, text)
            h.wait_out("done\n", count=n)
            self.assertEqual(re.findall(r"^lib .*\n", h.stdout(), re.M)[-1],
                             shows)
            self.assertEqual(h.wait_rounds(n)[-1], (n, "ok"))
        h.stop()
        found = set()
        for root, dirs, files in os.walk(self.dir):
            for name in dirs + files:
                found.add(os.path.relpath(os.path.join(root, name),
                                          self.dir))
        self.assertEqual(found, set(made) | {"pkg"})
        self.assertEqual(os.listdir(tmp), [])


if __name__ == "__main__":
    unittest.main()
