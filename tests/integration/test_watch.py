"""The watcher: every way users and editors change files starts one round."""

import os
import shutil
import subprocess
import time
import unittest

from harness import TestCase, wait_until, write, write_atomic

SHOW = "print(open('data.txt').read().strip())\n"


class Writes(TestCase):
    """Each kind of write of data.txt must show its new content."""

    def setUp(self):
        super().setUp()
        self.data = self.write("data.txt", "first\n")
        self.write("show.py", SHOW)
        self.h = self.start("-m", "show", "data.txt")
        self.h.wait_out("first\n")

    def expect(self, text, rounds=2):
        self.h.wait_out(text + "\n")
        self.assertEqual(len(self.h.wait_rounds(rounds)), rounds)

    def test_in_place_write(self):
        with open(self.data, "r+") as f:
            f.write("FIRST")
        self.expect("FIRST")

    def test_truncate_then_write(self):
        write(self.data, "second, longer\n")
        self.expect("second, longer")

    def test_append(self):
        with open(self.data, "a") as f:
            f.write("more\n")
        self.h.wait_out("first\nmore\n")

    def test_write_to_temp_and_rename(self):
        write_atomic(self.data, "renamed\n")
        self.expect("renamed")

    def test_cp_f(self):
        other = self.write("other.txt", "copied\n")
        subprocess.run(["cp", "-f", other, self.data], check=True)
        self.expect("copied")

    def test_cp_p_with_older_mtime(self):
        other = self.write("other.txt", "older\n")
        os.utime(other, (1000000000, 1000000000))  # 2001
        subprocess.run(["cp", "-p", other, self.data], check=True)
        self.assertLess(os.stat(self.data).st_mtime, 1000000001)
        self.expect("older")

    def test_same_size_rewrite_right_after_a_round(self):
        for n, word in enumerate(("aaaaa", "bbbbb", "ccccc", "ddddd"), 2):
            write(self.data, word + "\n")
            self.h.wait_out(word + "\n")
            self.h.wait_rounds(n)

    def test_delete_then_recreate(self):
        os.unlink(self.data)
        write(self.data, "recreated\n")
        self.h.wait_out("recreated\n")

    def test_deleted_file_runs_a_round_and_so_does_its_return(self):
        # The module reads the file: with the file gone, its round fails,
        # as python show.py would; hotload goes on, and the file's return
        # runs again.
        os.unlink(self.data)
        self.h.wait_err("hotload: data.txt is gone\n")
        self.assertEqual(self.h.wait_rounds(2)[-1], (2, "failed"))
        self.assertIn("FileNotFoundError", self.h.stderr())
        self.assertIsNone(self.h.proc.poll())
        write(self.data, "back\n")
        self.h.wait_out("back\n")
        self.assertEqual(self.h.wait_rounds(3)[-1], (3, "ok"))

    def test_chmod(self):
        os.chmod(self.data, 0o600)
        self.assertEqual(len(self.h.wait_rounds(2)), 2)


class Bursts(TestCase):
    def test_fifty_files_from_one_shell_loop_give_one_round(self):
        for i in range(50):
            self.write("f%02d.txt" % i, "0\n")
        self.write("marker.txt", "0\n")
        h = self.start("-r", "echo \"$#\" files", ".")
        h.wait_out("0 files\n")
        subprocess.run(["sh", "-c", "for i in $(seq -w 0 49); do "
                        "echo 1 > f$i.txt; done"], cwd=self.dir, check=True)
        self.assertLessEqual(h.wait_burst(50, after=1), 2)
        # One more change: its round follows at once, so no other ran.
        rounds = len(h.wait_rounds(h.files_lines()))
        write(self.path("marker.txt"), "1\n")
        h.wait_out("1 files\n")
        self.assertEqual(len(h.wait_rounds(rounds + 1)), rounds + 1)

    def test_a_save_during_a_round_starts_another_round(self):
        src = ("import time\nprint('start', open('v.txt').read().strip(),"
               " flush=True)\ntime.sleep(%s)\nprint('end', flush=True)\n")
        self.write("v.txt", "one\n")
        self.write("slow.py", src % "0.5")
        h = self.start("-m", "slow", "v.txt")
        # Saved once round 1 is over (its status line is out), so that
        # only the next save is made while a round runs.
        h.wait_rounds(1)
        write(self.path("v.txt"), "two\n")
        h.wait_out("start two\n")
        write(self.path("v.txt"), "three\n")  # while round 2 sleeps
        h.wait_out("start three\n")
        h.wait_out("end\n", count=3)

    def test_a_command_writing_its_own_input_does_not_loop(self):
        self.write("in.txt", "0\n")
        self.write("trigger.txt", "0\n")
        h = self.start("-r", "date +%N > in.txt", "in.txt", "trigger.txt")
        h.wait_err("taking it as the round's own write")
        before = len(h.rounds())
        self.assertLessEqual(before, 2)
        write(self.path("trigger.txt"), "1\n")
        h.wait_rounds(before + 1)
        h.wait_err("taking it as the round's own write", count=2)
        # No round ran between: the trigger's round directly followed.
        self.assertLessEqual(len(h.rounds()), before + 2)

    def saves_while_rounds_run(self, sleep, first_between, words):
        """A module that prints v.txt, then sleeps; v.txt saved with each
        of words as soon as the round before printed. first_between: the
        first save waits for the first round to end. None of the saves is
        taken for the round's own write."""
        self.write("v.txt", "one\n")
        self.write("slow.py", "import time\nprint('start', open('v.txt')"
                   ".read().strip(), flush=True)\ntime.sleep(%s)\n" % sleep)
        h = self.start("-m", "slow", "v.txt")
        if first_between:
            h.wait_rounds(1)
        else:
            h.wait_out("start one\n")
        for word in words:
            write(self.path("v.txt"), word + "\n")
            h.wait_out("start %s\n" % word)
        self.assertNotIn("own write", h.stderr())

    def test_saving_on_while_rounds_run_is_not_taken_for_own_writes(self):
        # A file saved once between rounds, then during each of four
        # rounds in a row, as while a slow test suite runs.
        self.saves_while_rounds_run(0.5, True,
                                    ("two", "three", "four", "five", "six"))

    def test_saves_while_a_modules_rounds_run_each_get_a_round(self):
        # Never saved between rounds: each save is made while a round runs,
        # as soon as it printed. The module wrote none of them, so none is
        # taken for its own write.
        self.saves_while_rounds_run(0.3, False, ("two", "three", "four",
                                                 "five", "six", "seven"))

    def own_write_stops(self, code, step=("-m", "w")):
        """A step (a module w whose code is code, unless given) whose
        every round writes f.txt, which is watched: its first round and
        the one its write started, then no more; a save of another file
        starts two more."""
        self.write("f.txt", "")
        g = self.write("g.txt", "")
        self.write("w.py", "import os, subprocess, time\n" + code)
        own = ("hotload: f.txt changed while the last 2 rounds ran; taking "
               "it as the round's own write (save again to run)\n")
        h = self.start(*step, "f.txt", "g.txt")
        h.wait_err(own)
        self.assertEqual(h.rounds(), [(1, "ok"), (2, "ok")])
        write(g, "saved\n")
        h.wait_err(own, count=2)
        self.assertEqual(h.rounds(), [(n, "ok") for n in range(1, 5)])

    def test_a_module_writing_a_watched_file_does_not_loop(self):
        self.own_write_stops("with open('f.txt', 'a') as f:\n"
                             "    f.write(str(time.time()))\n")

    def test_a_module_replacing_a_watched_file_does_not_loop(self):
        self.own_write_stops("with open('f.new', 'w') as f:\n"
                             "    f.write(str(time.time()))\n"
                             "os.replace('f.new', 'f.txt')\n")

    def test_a_module_writing_a_watched_file_with_pathlib_does_not_loop(
            self):
        self.own_write_stops("import pathlib\n"
                             "pathlib.Path('f.txt').write_text("
                             "str(time.time()))\n")

    def test_a_command_writing_a_watched_file_does_not_loop(self):
        self.own_write_stops("", step=("-r", "echo x >> f.txt"))

    def test_a_program_a_module_starts_writing_a_watched_file(self):
        self.own_write_stops("subprocess.run('date +%N >> f.txt', "
                             "shell=True)\n")

    def test_a_command_rewriting_a_saved_file_stops_after_five_rounds(self):
        self.write("f.txt", "")
        h = self.start("-r", "echo x >> f.txt", "f.txt")
        # Written by its first round only: two rounds.
        h.wait_err("hotload: f.txt changed while the last 2 rounds ran; "
                   "taking it as the round's own write (save again to "
                   "run)\n")
        self.assertEqual(len(h.rounds()), 2)
        # Saved by the user: five rounds, then no more.
        write(self.path("f.txt"), "saved\n")
        h.wait_err("hotload: f.txt changed while the last 5 rounds ran; "
                   "taking it as the round's own write (save again to "
                   "run)\n")
        self.assertEqual(len(h.rounds()), 7)

    def test_the_last_of_many_quick_saves_is_seen(self):
        self.write("v.txt", "0\n")
        self.write("show.py", "print('v', open('v.txt').read().strip(), "
                   "flush=True)\n")
        h = self.start("-m", "show", "v.txt")
        h.wait_out("v 0\n")
        for i in range(1, 301):
            write(self.path("v.txt"), "%d\n" % i)
        h.wait_out("v 300\n")


class Directories(TestCase):
    def test_directory_argument_watches_files_below_it_with_ext(self):
        self.write("src/a.py", "")
        self.write("src/deep/b.py", "")
        self.write("src/notes.txt", "")
        self.write("src/.hidden/c.py", "")
        self.write("src/__pycache__/d.py", "")
        h = self.start("-e", "py", "-r", "echo \"changed: $*\"", "src")
        h.wait_out("changed: \n")
        for name in ("src/notes.txt", "src/.hidden/c.py",
                     "src/__pycache__/d.py", "src/deep/b.py"):
            write(self.path(name), "edit\n")
        h.wait_out("changed: src/deep/b.py\n")
        self.assertNotIn("notes", h.stdout())
        self.assertNotIn("hidden", h.stdout())
        self.assertNotIn("pycache", h.stdout())


@unittest.skipUnless(shutil.which("vim"), "vim is not installed")
class Vim(TestCase):
    """vim's saves, in the settings that change how it writes a file."""

    def save_with_vim(self, settings):
        self.write("lib.py", "print('v', 1)\n")
        h = self.start("-m", "lib", "lib.py")
        h.wait_out("v 1\n")
        for i in (2, 3):
            subprocess.run(
                ["vim", "-u", "NONE", "-i", "NONE", "-N", "-n", "-es",
                 "-c", settings, "-c", "%s/v', \\d/v', " + str(i) + "/",
                 "-c", "wq", "lib.py"],
                cwd=self.dir, check=True, stdin=subprocess.DEVNULL,
                timeout=60)
            h.wait_out("v %d\n" % i)
        self.assertNotIn("Traceback", h.stderr())

    def test_backup_rename(self):
        self.save_with_vim("set backup writebackup backupcopy=no")

    def test_nowritebackup(self):
        self.save_with_vim("set nobackup nowritebackup")

    def test_backupcopy_yes(self):
        self.save_with_vim("set backup writebackup backupcopy=yes")
