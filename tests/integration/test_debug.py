"""Debugging a failure: --pdb opens pdb post-mortem at the terminal, and
after a failed round sys.last_* hold the error, so that pdb.pm() works at
the --repl prompt. pdb is driven as a user drives it, on a pseudo-terminal.
"""

import signal
import subprocess
import sys

from harness import (TIMEOUT, TestCase, clean_env, hotload_argv, read,
                     wait_until, write)
from test_live import (LiveTestCase, Pane, needs_tmux, shell_command,
                       stty_flags)

PDB = "(Pdb) "
PROMPT = ">>> "

# A module that fails in a function, with a local to look at.
FAILING = ("def f():\n"
           "    x = 41\n"
           "    raise ValueError('x is %d' % x)\n"
           "\n"
           "f()\n")
FIXED = "print('fixed', flush=True)\n"


class PostMortem(TestCase):
    def start_pdb(self, *extra):
        self.write("lib.py", FAILING)
        h = self.start("--pdb", *extra, "-m", "lib", "lib.py", tty=True)
        h.wait_out(PDB)
        return h

    def leave_and_save(self, h, keys):
        """Look at the failed frame, leave pdb with keys, and check that
        the round ends and the next save runs as usual."""
        h.type(b"p x\n")
        h.wait_out("41\r\n" + PDB)
        self.assertEqual(h.rounds(), [])  # the round waits for pdb
        prompts = h.stdout().count(PDB)
        h.type(keys)
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        write(self.path("lib.py"), FIXED)
        self.assertEqual(h.wait_rounds(2), [(1, "failed"), (2, "ok")])
        h.wait_out("fixed")
        self.assertEqual(h.stdout().count(PDB), prompts)  # no pdb again

    def test_pdb_opens_at_the_failed_frame_and_c_goes_back_to_watching(self):
        h = self.start_pdb()
        out = h.stderr()  # what was printed, without Python's colours
        # The traceback comes first, then pdb at the line that raised.
        self.assertIn("ValueError: x is 41", out)
        self.assertLess(out.index("ValueError"), out.index(PDB))
        self.assertIn("-> raise ValueError('x is %d' % x)", out)
        self.leave_and_save(h, b"c\n")

    def test_q_goes_back_to_watching(self):
        self.leave_and_save(self.start_pdb(), b"q\n")

    def test_ctrl_d_goes_back_to_watching(self):
        self.leave_and_save(self.start_pdb(), b"\x04")

    def test_a_failure_after_a_save_opens_pdb_again(self):
        self.write("lib.py", FIXED)
        h = self.start("--pdb", "-m", "lib", "lib.py", tty=True)
        h.wait_rounds(1)
        write(self.path("lib.py"), FAILING)
        h.wait_out(PDB)
        h.type(b"up\n")  # to the module's top level, which called f()
        h.wait_out("-> f()")
        h.type(b"c\n")
        self.assertEqual(h.wait_rounds(2), [(1, "ok"), (2, "failed")])

    def test_ctrl_c_at_the_pdb_prompt_stays_in_pdb(self):
        h = self.start_pdb()
        h.type(b"\x03")
        h.wait_out(PDB, count=2)
        self.assertIsNone(h.proc.poll())
        self.leave_and_save(h, b"c\n")

    def test_sigterm_ends_hotload_in_pdb(self):
        h = self.start_pdb()
        self.assertEqual(h.stop(signal.SIGTERM), -signal.SIGTERM)

    def test_a_succeeding_step_opens_no_pdb(self):
        self.write("lib.py", FIXED)
        h = self.start("--pdb", "--once", "-m", "lib", "lib.py", tty=True)
        self.assertEqual(h.wait_exit(), 0)
        self.assertNotIn(PDB, h.stdout())

    def test_a_failed_command_opens_no_pdb(self):
        self.write("lib.py", FIXED)
        h = self.start("--pdb", "--once", "-m", "lib", "-r", "exit 3",
                       "lib.py", tty=True)
        self.assertEqual(h.wait_exit(), 1)
        self.assertNotIn(PDB, h.stdout())

    def test_a_syntax_error_has_no_frame_to_debug(self):
        self.write("lib.py", "def f(:\n")
        h = self.start("--pdb", "--once", "-m", "lib", "lib.py", tty=True)
        self.assertEqual(h.wait_exit(), 1)
        self.assertIn("--pdb: no frame of the code to debug for this "
                      "SyntaxError", h.stderr())
        self.assertNotIn(PDB, h.stdout())

    def test_without_a_terminal_pdb_is_a_usage_error(self):
        self.write("lib.py", FAILING)
        # A new session has no controlling terminal, as under cron.
        p = subprocess.run(hotload_argv(["--pdb", "-m", "lib", "lib.py"]),
                           cwd=self.dir, env=clean_env(),
                           stdin=subprocess.DEVNULL, capture_output=True,
                           start_new_session=True, timeout=TIMEOUT)
        self.assertEqual(p.returncode, 2)
        self.assertIn(b"--pdb needs a terminal to debug at, and there is "
                      b"none", p.stderr)

    def test_pdb_with_non_interactive_is_a_usage_error(self):
        self.write("lib.py", FAILING)
        status, out, err = self.run_hotload("--pdb", "-n", "-m", "lib",
                                            "lib.py")
        self.assertEqual(status, 2)
        self.assertIn("--pdb debugs at the terminal; it cannot go with "
                      "--non-interactive", err)


class LastError(TestCase):
    """sys.last_* at the --repl prompt, as python -i leaves them."""

    def start_repl(self):
        self.write("lib.py", FAILING)
        h = self.start("--repl", "-m", "lib", "lib.py", tty=True)
        h.wait_out(PROMPT)
        return h

    def ask(self, h, line, answer, count=1):
        h.type(line.encode() + b"\n")
        h.wait_out(answer, count=count)

    def test_last_error_of_the_first_import(self):
        h = self.start_repl()
        self.ask(h, "import sys; print('got', repr(sys.last_value))",
                 "got ValueError('x is 41')")
        self.ask(h, "print('type', sys.last_type.__name__, "
                 "sys.last_traceback.tb_next is not None)",
                 "type ValueError True")
        if sys.version_info >= (3, 12):
            self.ask(h, "print('same', sys.last_exc is sys.last_value)",
                     "same True")

    def test_pdb_pm_debugs_the_last_failure(self):
        h = self.start_repl()
        self.ask(h, "import pdb; pdb.pm()", PDB)
        self.ask(h, "p x", "41\r\n")
        self.ask(h, "q", PROMPT, count=2)

    def test_a_later_failure_replaces_the_last_error(self):
        h = self.start_repl()
        write(self.path("lib.py"), "y = 1 / 0\n")
        wait_until(lambda: len(h.rounds()) >= 2, what="round 2")
        self.ask(h, "import sys; print('now', "
                 "type(sys.last_value).__name__)", "now ZeroDivisionError")

    def test_banner_says_the_first_import_failed(self):
        h = self.start_repl()
        out = h.stderr()  # what was printed, without Python's colours
        self.assertIn("lib did not import (the error is above); the prompt "
                      "works all the same", out)
        self.assertLess(out.index("ValueError"), out.index("did not import"))
        self.ask(h, "print('sum', 2 + 3)", "sum 5")


@needs_tmux
class PostMortemWithKeys(LiveTestCase):
    """The file list on stdin: hotload reads keys from the terminal one by
    one, and pdb still reads whole lines there."""

    def test_pdb_reads_lines_and_keys_come_back_after(self):
        self.write("lib.py", FAILING)
        pane = Pane(self, shell_command(["--pdb", "-m", "lib"],
                                        stdin_list="lib.py"))
        pane.wait_screen(lambda s: s.endswith(PDB.rstrip()), "pdb")
        pane.type("p x * 2")
        pane.wait_screen(lambda s: s.endswith("p x * 2"), "the line echoed")
        pane.key("Enter")
        pane.wait_screen(lambda s: "\n82\n" in s, "pdb's answer")
        pane.type("c")
        pane.key("Enter")
        pane.wait_screen(lambda s: "round 1 failed" in s, "round 1")
        # Keys again: q quits.
        pane.type("q")
        self.assertEqual(self.read_status(), 0)
        # The terminal is as it was before hotload.
        flags = stty_flags(wait_until(lambda: read(self.path("stty.txt")),
                                      what="the terminal's settings"))
        self.assertTrue({"icanon", "echo"} <= flags, flags)
