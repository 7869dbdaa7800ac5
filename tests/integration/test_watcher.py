"""The watcher at scale and at the edges: backends, fallback, directories
that grow, symbolic links, bursts, storms and files held open."""

import os
import shutil
import statistics
import subprocess
import sys
import time
import unittest

from harness import WATCHER, TestCase, clean_env, write, write_atomic

HAVE_INOTIFY = sys.platform.startswith("linux")
SHOW = ("import sys\nfor name in sys.argv[1:] or ['data.txt']:\n"
        "    print(name, open(name).read().strip(), flush=True)\n")


class Backends(TestCase):
    def test_verbose_names_the_backend(self):
        self.write("a.txt", "")
        h = self.start("-v", "-r", "true", "a.txt")
        h.wait_rounds(1)
        if WATCHER == "poll" or not HAVE_INOTIFY:
            self.assertIn("watching 1 file by polling", h.stderr())
        else:
            self.assertIn("watching 1 file in 1 directory with 1 inotify "
                          "watch\n", h.stderr())

    @unittest.skipUnless(HAVE_INOTIFY, "inotify is Linux's")
    def test_auto_falls_back_to_polling_and_says_why(self):
        self.write("a.txt", "")
        env = clean_env(HOTLOAD_MAX_WATCHES="0")
        h = self.start("--watcher=auto", "-r", "echo \"[$*]\"", "a.txt",
                       env=env)
        h.wait_err("inotify cannot watch these files: it would need more "
                   "than HOTLOAD_MAX_WATCHES=0 watches; polling instead")
        h.wait_rounds(1)
        write(self.path("a.txt"), "x")
        h.wait_out("[a.txt]\n")

    @unittest.skipUnless(HAVE_INOTIFY, "inotify is Linux's")
    def test_forced_inotify_that_cannot_serve_is_an_error(self):
        self.write("a.txt", "")
        status, out, err = self.run_hotload(
            "--watcher=inotify", "-r", "true", "a.txt",
            env=clean_env(HOTLOAD_MAX_WATCHES="0"))
        self.assertEqual(status, 1)
        self.assertIn("inotify cannot watch these files", err)
        self.assertNotIn("polling instead", err)

    @unittest.skipUnless(HAVE_INOTIFY, "inotify is Linux's")
    def test_running_out_of_watches_later_falls_back(self):
        os.mkdir(self.path("src"))
        self.write("src/a.py", "")
        h = self.start("--watcher=auto", "-r", "echo \"[$*]\"", "src",
                       env=clean_env(HOTLOAD_MAX_WATCHES="1"))
        h.wait_rounds(1)
        os.mkdir(self.path("src/sub"))  # needs a second watch
        self.write("src/sub/b.py", "b")
        h.wait_err("inotify cannot watch the files any more")
        h.wait_out("src/sub/b.py")
        write(self.path("src/a.py"), "edited")
        h.wait_out("[src/a.py]\n")

    def test_bad_watcher_is_a_usage_error(self):
        status, out, err = self.run_hotload("--watcher=magic", "-r", "true",
                                            ".")
        self.assertEqual(status, 2)
        self.assertIn("--watcher 'magic': give auto, inotify or poll", err)

    def test_long_lists_are_polled_less_often_and_it_says_so(self):
        if WATCHER != "poll":
            self.skipTest("polling only")
        os.mkdir(self.path("many"))
        for i in range(10000):
            with open(self.path("many/f%05d" % i), "w"):
                pass
        h = self.start("-r", "echo \"[$*]\"", "many")
        h.wait_err("polling 10000 files every ")
        h.wait_rounds(1)
        write(self.path("many/f04242"), "x")
        h.wait_out("[many/f04242]\n")

    def test_in_a_long_list_the_module_and_the_files_saved_last_are_seen(
            self):
        # Polling sweeps 10,000 files a few times a second, to keep idle
        # CPU low; the module's file and the files that changed last are
        # looked at 144 times a second all the same.
        os.mkdir(self.path("many"))
        for i in range(10000):
            with open(self.path("many/f%05d" % i), "w"):
                pass
        self.write("lib.py", "print('lib', 0)\n")
        h = self.start("-m", "lib", "-r", "echo \"[$*]\"", "lib.py", "many")
        h.wait_out("lib 0\n")
        h.wait_rounds(1)

        def latency(save, text, count):
            """Save, time until text shows for the count-th time, and let
            the round end before the next save, as a user does."""
            rounds = len(h.rounds())
            save()
            saved = time.monotonic()
            h.wait_out(text, count)
            took = (time.monotonic() - saved) * 1000
            h.wait_rounds(rounds + 1)
            return took
        # Saved whole, by a rename: a save in place can be seen half-way
        # on a busy machine, and give a round more.
        module = [latency(lambda: write_atomic(self.path("lib.py"),
                                               "print('lib', %d)\n" % n),
                          "lib %d\n" % n, 1) for n in range(1, 6)]
        first = latency(lambda: write_atomic(self.path("many/f04242"), "x"),
                        "[many/f04242]\n", 1)
        again = [latency(lambda: write_atomic(self.path("many/f04242"),
                                              "x" * n),
                         "[many/f04242]\n", n) for n in range(2, 6)]
        sys.stderr.write("\n  %s watcher, 10,000 files, save to output, "
                         "ms: module p50 %.1f, a file saved before p50 "
                         "%.1f, its first save %.1f\n" % (
                             WATCHER or "auto", statistics.median(module),
                             statistics.median(again), first))
        # How quick they are is bench/run's to measure, not a test's: here
        # every save was seen, each by one round.
        self.assertEqual(len(h.rounds()), 1 + len(module) + 1 + len(again))


class GrowingDirectories(TestCase):
    def test_new_file_in_a_watched_directory_joins_and_runs(self):
        self.write("src/a.py", "")
        h = self.start("-e", "py", "-r", "echo \"[$*]\"", "src")
        h.wait_rounds(1)
        self.write("src/notes.txt", "not watched")
        self.write("src/new.py", "new")
        h.wait_out("[src/new.py]\n")
        write(self.path("src/new.py"), "edited")
        h.wait_out("[src/new.py]\n", count=2)
        self.assertNotIn("notes", h.stdout())

    def test_new_subdirectory_is_followed(self):
        self.write("src/a.py", "")
        h = self.start("-e", "py", "-r", "echo \"[$*]\"", "src")
        h.wait_rounds(1)
        os.makedirs(self.path("src/pkg/deeper"))
        self.write("src/pkg/deeper/m.py", "1")
        h.wait_out("[src/pkg/deeper/m.py]\n")
        write(self.path("src/pkg/deeper/m.py"), "2")
        h.wait_out("[src/pkg/deeper/m.py]\n", count=2)

    def test_subdirectory_moved_in_is_followed(self):
        self.write("src/a.py", "")
        self.write("outside/pkg/m.py", "1")
        h = self.start("-r", "echo \"[$*]\"", "src")
        h.wait_rounds(1)
        os.rename(self.path("outside/pkg"), self.path("src/pkg"))
        h.wait_out("[src/pkg/m.py]\n")

    def test_deleted_subdirectory_made_again(self):
        self.write("src/sub/m.py", "1")
        h = self.start("-r", "echo \"[$*]\"", "src")
        h.wait_rounds(1)
        shutil.rmtree(self.path("src/sub"))
        h.wait_err("is gone")
        self.write("src/sub/m.py", "2")
        h.wait_out("[src/sub/m.py]\n")

    def test_directory_of_a_watched_file_removed_and_made_again(self):
        self.write("top/sub/f.txt", "1")
        h = self.start("-r", "echo \"[$*]\"", "top/sub/f.txt")
        h.wait_rounds(1)
        shutil.rmtree(self.path("top"))
        h.wait_err("top/sub/f.txt is gone")
        self.write("top/sub/f.txt", "2")
        h.wait_out("[top/sub/f.txt]\n")

    def test_temporary_file_made_and_removed_at_once_is_ignored(self):
        self.write("src/a.py", "")
        self.write("trigger.txt", "")
        h = self.start("-r", "echo \"[$*]\"", "src", "trigger.txt")
        h.wait_rounds(1)
        with open(self.path("src/4913"), "w"):
            pass
        os.unlink(self.path("src/4913"))
        write(self.path("trigger.txt"), "x")
        h.wait_out("[trigger.txt]\n")
        self.assertNotIn("4913", h.stdout())


class SymbolicLinks(TestCase):
    def setUp(self):
        super().setUp()
        self.write("real/one.txt", "one\n")
        self.write("real/two.txt", "two\n")
        os.symlink("real/one.txt", self.path("link.txt"))
        self.write("show.py", "print('link:', open('link.txt').read()"
                   ".strip(), flush=True)\n")
        self.h = self.start("-m", "show", "link.txt")
        self.h.wait_out("link: one\n")

    def test_change_to_the_target_runs(self):
        write(self.path("real/one.txt"), "ONE\n")
        self.h.wait_out("link: ONE\n")

    def test_retargeting_the_link_runs(self):
        tmp = self.path("link.tmp")
        os.symlink("real/two.txt", tmp)
        os.rename(tmp, self.path("link.txt"))
        self.h.wait_out("link: two\n")
        write(self.path("real/two.txt"), "TWO\n")
        self.h.wait_out("link: TWO\n")


class Bursts(TestCase):
    def two_branches(self, nfiles, *config):
        """A git repository whose branches master and other hold nfiles
        files each, all different; returns a function running git in it."""
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
        for c in config:
            git += ["-c", c]

        def run(*args):
            subprocess.run(git + list(args), cwd=self.dir, check=True,
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        run("init", "-q")
        for branch in ("a", "b"):
            if branch == "b":
                run("checkout", "-qb", "other")
            for i in range(nfiles):
                self.write("f%03d.py" % i, "%s%d\n" % (branch, i))
            run("add", ".")
            run("commit", "-qm", branch)
        return run

    def checkouts(self, run, count, nfiles):
        """Check out the branches in turn, count times, under a command
        printing "$# files": each checkout gives one round."""
        h = self.start("-e", "py", "-r", "echo \"$# files\"", ".")
        h.wait_out("0 files\n")
        for n in range(count):
            # Once the last round is over: a checkout made while a round
            # runs may be taken for the round's own write.
            before = len(h.wait_rounds(h.files_lines()))
            run("checkout", "-q", ("master", "other")[n % 2])
            self.assertEqual(h.wait_burst(nfiles, after=before), 1,
                             "checkout %d" % (n + 1))
        return h

    @unittest.skipUnless(shutil.which("git"), "git is not installed")
    def test_twenty_git_checkouts_of_300_files_give_a_round_each(self):
        # git holds its index lock while it writes the work tree: hotload
        # waits for it, so each checkout is one round, however slow.
        h = self.checkouts(self.two_branches(300), 20, 300)
        # The files git replaced are not reported one by one.
        self.assertNotIn("is gone", h.stderr())
        self.assertNotIn("are gone", h.stderr())

    @unittest.skipUnless(shutil.which("git"), "git is not installed")
    def test_a_slow_checkout_gives_one_round(self):
        # A filter that takes a while for each file (as git-lfs or a big
        # repository does) makes a checkout last longer than any pause
        # hotload waits for: git's index lock tells it the burst goes on.
        self.write(".gitattributes", "*.py filter=slow\n")
        run = self.two_branches(40, "filter.slow.smudge=sleep 0.1; cat",
                                "filter.slow.clean=cat")
        self.checkouts(run, 2, 40)

    def test_storm_of_1000_writes_keeps_the_final_state(self):
        self.write("data.txt", "0\n")
        self.write("show.py", SHOW)
        h = self.start("-m", "show", "data.txt")
        h.wait_out("data.txt 0\n")
        subprocess.run([sys.executable, "-c",
                        "for i in range(1, 1001):\n"
                        "    with open('data.txt', 'w') as f:\n"
                        "        f.write('%d\\n' % i)\n"], cwd=self.dir,
                       check=True)
        h.wait_out("data.txt 1000\n")
        self.assertTrue(h.stdout().endswith("data.txt 1000\n"))
        self.assertLess(len(h.rounds()), 200)

    def test_two_step_write_gives_one_round_with_the_final_content(self):
        self.write("data.txt", "old\n")
        self.write("show.py", SHOW)
        h = self.start("-m", "show", "data.txt")
        h.wait_out("data.txt old\n")
        for i in range(5):
            fd = os.open(self.path("data.txt"), os.O_WRONLY | os.O_TRUNC)
            os.write(fd, b"new")
            os.write(fd, b" %d\n" % i)
            os.close(fd)
            h.wait_out("data.txt new %d\n" % i)
        self.assertNotIn("data.txt \n", h.stdout())
        self.assertEqual(len(h.wait_rounds(6)), 6, h.stdout())

    def test_slow_two_step_write_waits_for_the_close(self):
        if WATCHER == "poll":
            self.skipTest("polling cannot tell that a file is still open")
        self.write("data.txt", "old\n")
        self.write("show.py", SHOW)
        h = self.start("-m", "show", "data.txt")
        h.wait_out("data.txt old\n")
        fd = os.open(self.path("data.txt"), os.O_WRONLY | os.O_TRUNC)
        time.sleep(0.01)  # the pause the test is about, not a wait
        os.write(fd, b"final\n")
        os.close(fd)
        h.wait_out("data.txt final\n")
        self.assertEqual(h.stdout(), "data.txt old\ndata.txt final\n")

    def test_file_held_open_and_appended_to_runs_for_each_append(self):
        self.write("log.txt", "")
        self.write("show.py", "print('lines', len(open('log.txt')"
                   ".readlines()), flush=True)\n")
        h = self.start("-m", "show", "log.txt")
        h.wait_out("lines 0\n")
        h.wait_rounds(1)
        with open(self.path("log.txt"), "a") as f:
            for i in range(1, 4):
                f.write("line\n")
                f.flush()
                h.wait_out("lines %d\n" % i)
                # Write again only after the round: a write made while a
                # round runs twice in a row looks like the round's own.
                h.wait_rounds(i + 1)
