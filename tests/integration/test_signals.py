"""Stopping hotload: Ctrl-C, SIGTERM and SIGHUP, whatever it is doing."""

import signal
import subprocess
import time

from harness import BIN, TestCase, alive, clean_env, read_pid, wait_until

SLEEPER = "import time\nprint('sleeping', flush=True)\ntime.sleep(100)\n"


class CtrlC(TestCase):
    def test_ctrl_c_while_idle(self):
        self.write("lib.py", "print('ready')\n")
        h = self.start("-m", "lib", "lib.py", tty=True)
        h.wait_out("ready")
        h.wait_rounds(1)
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT)

    def test_ctrl_c_while_python_sleeps(self):
        self.write("lib.py", SLEEPER)
        h = self.start("-m", "lib", "lib.py", tty=True)
        h.wait_out("sleeping")
        start = time.monotonic()
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(timeout=20), -signal.SIGINT)
        self.assertLess(time.monotonic() - start, 20)

    def test_ctrl_c_while_python_loops(self):
        self.write("lib.py", "print('looping', flush=True)\n"
                   "while True:\n    pass\n")
        h = self.start("-m", "lib", "lib.py", tty=True)
        h.wait_out("looping")
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT)

    def test_ctrl_c_does_not_wait_for_threads_but_runs_atexit(self):
        self.write("lib.py", "import atexit, threading, time\n"
                   "threading.Thread(target=time.sleep, args=(1000,)).start()\n"
                   "atexit.register(print, 'atexit ran')\n"
                   "print('ready', flush=True)\n")
        h = self.start("-m", "lib", "lib.py", tty=True)
        h.wait_out("ready")
        h.wait_rounds(1)
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT)
        self.assertIn("atexit ran", h.stdout())

    def test_ctrl_c_while_a_command_runs(self):
        self.write("f.txt", "")
        h = self.start("-r", "echo $$ > pid; exec sleep 100", "f.txt",
                       tty=True)
        pid = read_pid(self.path("pid"))
        h.type(b"\x03")
        self.assertEqual(h.wait_exit(), -signal.SIGINT)
        wait_until(lambda: not alive(pid), what="the command to end")

    def test_kill_int_to_hotload_alone_stops_its_command(self):
        self.write("f.txt", "")
        h = self.start("-r", "echo $$ > pid; exec sleep 100", "f.txt")
        pid = read_pid(self.path("pid"))
        self.assertEqual(h.stop(signal.SIGINT), -signal.SIGINT)
        wait_until(lambda: not alive(pid), what="the command to end")

    def test_shell_sees_status_130(self):
        self.write("lib.py", "print('ready')\n")
        script = "trap : INT; '%s' -m lib lib.py; echo \"status=$?\"" % BIN
        h = self.start(argv=["sh", "-c", script], tty=True)
        h.wait_out("ready")
        h.wait_rounds(1)
        h.type(b"\x03")
        h.wait_out("status=130")


class Term(TestCase):
    def test_sigterm_while_idle(self):
        self.write("lib.py", "print('ready')\n")
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("ready\n")
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)

    def test_sigterm_while_python_sleeps(self):
        self.write("lib.py", SLEEPER)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("sleeping\n")
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)

    def test_sigterm_without_python(self):
        self.write("f.txt", "")
        h = self.start("-r", "echo ready", "f.txt")
        h.wait_out("ready\n")
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)

    def test_sighup(self):
        self.write("lib.py", SLEEPER)
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("sleeping\n")
        self.assertEqual(h.stop(signal.SIGHUP), -signal.SIGHUP)

    def test_shell_reports_143(self):
        self.write("f.txt", "")
        p = subprocess.Popen(
            ["sh", "-c", "'%s' -r 'echo ready' f.txt; echo \"status=$?\""
             % BIN], cwd=self.dir, env=clean_env(), stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        self.assertEqual(p.stdout.readline(), b"ready\n")
        subprocess.run(["pkill", "-TERM", "-P", str(p.pid)], check=True)
        self.assertEqual(p.stdout.read(), b"status=143\n")
        p.stdout.close()
        p.wait()

    def test_os_exit_in_module_ends_hotload_with_its_status(self):
        self.write("lib.py", "import os\nprint('bye', flush=True)\n"
                   "os._exit(7)\n")
        status, out, err = self.run_hotload("-m", "lib", "lib.py")
        self.assertEqual((status, out), (7, "bye\n"))
