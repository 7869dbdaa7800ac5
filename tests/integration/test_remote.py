"""Files on a file system that sends no change events: a FUSE mount
(bindfs), changed behind it, in its backing directory, as the server of a
network file system, the host of a container or of a virtual machine would
change them. inotify hears nothing of such changes, and the kernel keeps
the files' attributes for a second, so hotload polls them, asking the file
system each time.

Under the ctest run for inotify these tests run hotload with its automatic
choice of watcher (inotify, and polling for the mount); under the run for
poll, with --watcher=poll. Each test reports itself skipped where
/dev/fuse or bindfs is missing, or the mount fails."""

import os
import random
import shutil
import statistics
import subprocess
import sys
import time
import unittest

from harness import BIN, TIMEOUT, WATCHER, TestCase, write, write_atomic

HAVE_INOTIFY = sys.platform.startswith("linux")
# The automatic choice, unless the run is the one for polling.
CHOSEN = "poll" if WATCHER == "poll" else "auto"


def unmount(path):
    """Unmount the FUSE mount at path, lazily if it is busy."""
    for argv in (["fusermount", "-u", "-q", path], ["umount", path],
                 ["umount", "-l", path]):
        if not os.path.ismount(path):
            return
        try:
            subprocess.run(argv, capture_output=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            pass


class FuseMount(TestCase):
    """A test with back/ mounted at mnt/ by bindfs, in its directory."""

    def setUp(self):
        if not os.path.exists("/dev/fuse"):
            self.skipTest("needs /dev/fuse")
        if shutil.which("bindfs") is None:
            self.skipTest("needs bindfs (apt-get install bindfs)")
        super().setUp()
        self.back = self.path("back")
        self.mnt = self.path("mnt")
        os.mkdir(self.back)
        os.mkdir(self.mnt)
        try:
            r = subprocess.run(["bindfs", self.back, self.mnt],
                               capture_output=True, text=True, timeout=30)
            failed = r.returncode != 0 or not os.path.ismount(self.mnt)
            why = r.stderr.strip()
        except (OSError, subprocess.TimeoutExpired) as e:
            failed, why = True, str(e)
        if failed:
            self.tearDown()
            self.skipTest("bindfs cannot mount here: " + why)

    def tearDown(self):
        # hotload and its commands first, so that nothing keeps the mount
        # busy; then the mount, then the directory.
        for p in self.procs:
            p.kill()
        unmount(self.mnt)
        super().tearDown()

    def start_chosen(self, *args, watcher=CHOSEN, **kw):
        """Start hotload with the watcher this run is for."""
        return self.start(argv=[BIN, "--watcher=" + watcher] + list(args),
                          **kw)

    def save_behind(self, name, text):
        """Save a file in the backing directory, behind the mount."""
        write(os.path.join(self.back, name), text)


class ChangesBehindTheMount(FuseMount):
    def test_every_save_made_behind_the_mount_is_seen_at_once(self):
        self.save_behind("data.txt", "v0\n")
        h = self.start_chosen("-r", "cat mnt/data.txt", "mnt/data.txt")
        h.wait_out("v0\n")
        h.wait_rounds(1)
        rng = random.Random(12)
        times = []
        for n in range(1, 9):
            time.sleep(rng.uniform(0.1, 0.4))
            self.save_behind("data.txt", "v%d\n" % n)
            saved = time.monotonic()
            h.wait_out("v%d\n" % n)
            times.append((time.monotonic() - saved) * 1000)
            h.wait_rounds(n + 1)  # the next save comes after the round
        sys.stderr.write(
            "\n  %s watcher, save behind a bindfs mount to output, ms: "
            "p50 %.1f, max %.1f (%s)\n" % (
                CHOSEN, statistics.median(times), max(times),
                ", ".join("%.1f" % t for t in times)))
        # Polled at 144 Hz, a save shows in milliseconds (bench/run
        # measures it); here, each save gave its round.
        self.assertEqual([s for _, s in h.rounds()], ["ok"] * 9)

    def test_it_says_which_directories_are_polled_and_why(self):
        if CHOSEN == "poll":
            self.skipTest("--watcher=poll polls every file")
        self.save_behind("a.py", "")
        self.save_behind("b.py", "")
        with open(self.path("local.py"), "w"):
            pass
        h = self.start_chosen("-r", "true", "mnt/a.py", "mnt/b.py",
                              "local.py")
        h.wait_rounds(1)
        h.wait_err("hotload: polling 2 files in 1 directory on a fuse file "
                   "system, which sends no change events: mnt\n")
        self.assertEqual(h.stderr().count("polling"), 1, h.stderr())

    def test_a_file_saved_by_rename_behind_the_mount_is_seen(self):
        self.save_behind("lib.py", "A = 1\n")
        h = self.start_chosen("-r", "cat mnt/lib.py", "mnt/lib.py")
        h.wait_out("A = 1\n")
        h.wait_rounds(1)
        write_atomic(os.path.join(self.back, "lib.py"), "A = 22\n")
        h.wait_out("A = 22\n", timeout=5)
        self.assertEqual(h.wait_rounds(2)[-1], (2, "ok"))

    def test_a_file_made_behind_the_mount_in_a_watched_directory_joins(self):
        self.save_behind("a.txt", "a")
        h = self.start_chosen("-e", "txt", "-r", "echo \"[$*]\"", "mnt")
        h.wait_rounds(1)
        self.save_behind("new.txt", "n")
        h.wait_out("[mnt/new.txt]\n", timeout=5)
        h.wait_rounds(2)
        self.save_behind("new.txt", "edited")
        h.wait_out("[mnt/new.txt]\n", count=2, timeout=5)

    def test_a_module_on_the_mount_is_reloaded_when_saved_behind_it(self):
        self.save_behind("lib.py", "print('lib', 1)\n")
        h = self.start_chosen("-m", "lib", "lib.py", cwd=self.mnt)
        h.wait_out("lib 1\n")
        h.wait_rounds(1)
        for n in range(2, 5):
            self.save_behind("lib.py", "print('lib', %d)\n" % n)
            h.wait_out("lib %d\n" % n, timeout=5)
            self.assertEqual(h.wait_rounds(n)[-1], (n, "ok"))

    def test_a_save_through_the_mount_runs_once(self):
        self.save_behind("a.txt", "a")
        h = self.start_chosen("-r", "cat mnt/a.txt", "mnt/a.txt")
        h.wait_rounds(1)
        write(os.path.join(self.mnt, "a.txt"), "through\n")
        h.wait_out("through\n")
        h.wait_rounds(2)
        # Seen by inotify and by polling: one round all the same.
        self.save_behind("a.txt", "behind\n")
        h.wait_out("behind\n")
        self.assertEqual(len(h.wait_rounds(3)), 3, h.stderr())


@unittest.skipUnless(HAVE_INOTIFY, "inotify is Linux's")
class ForcedInotify(FuseMount):
    def setUp(self):
        if WATCHER == "poll":
            self.skipTest("the same in both runs: run once")
        super().setUp()

    def test_forced_inotify_does_not_poll_and_says_what_that_means(self):
        self.save_behind("data.txt", "v0\n")
        h = self.start_chosen("-r", "cat mnt/data.txt", "mnt/data.txt",
                              watcher="inotify")
        h.wait_rounds(1)
        h.wait_err("hotload: 1 file in 1 directory is on a fuse file "
                   "system, which sends no change events: mnt; changes "
                   "made on its other side are seen only by a sweep every "
                   "2 s or more (--watcher=auto polls them)\n")
        self.assertNotIn("polling", h.stderr())
        # The sweep finds the change in the end, attributes fresh.
        self.save_behind("data.txt", "v1\n")
        h.wait_out("v1\n", timeout=TIMEOUT)


if __name__ == "__main__":
    unittest.main()
