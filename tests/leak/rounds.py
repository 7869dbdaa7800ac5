#!/usr/bin/env python3
"""rounds.py: many rounds of hotload, to find leaks.

    rounds.py valgrind N   N reloads of a small module under valgrind's
                           memcheck: no memory error, and no block lost for
                           good except CPython's own (cpython.supp says which)
    rounds.py rss N        N reloads: the resident set may grow by less than
                           2 MiB between the 100th round and the last

The module defines a function, a class and a dict, and prints a counter;
each save writes the next counter, and the next save waits for it to show.
"""

import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.path.abspath(os.environ.get("HOTLOAD_BIN", "build/hotload"))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))
from harness import clean_env  # found through the path above

MODULE = """\
def f(x):
    return [x] * 10
class Thing:
    def __init__(self):
        self.data = {{i: str(i) for i in range(50)}}
table = {{str(i): Thing() for i in range(20)}}
print("count", {n}, len(f({n})))
"""


class Session:
    """hotload running; its status lines are read from stderr."""

    def __init__(self, argv, cwd, env):
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        self.buf = b""

    def wait_round(self, n, timeout):
        """Wait until round n has ended well. A save waits for the round
        before it to end: one made while a round runs, twice in a row,
        would be taken for the round's own write."""
        want = b"hotload: round %d ok" % n
        deadline = time.monotonic() + timeout
        while want not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or self.proc.poll() is not None:
                sys.exit("rounds.py: no %r from hotload (status %s); "
                         "stderr:\n%s" % (want, self.proc.poll(),
                                          self.buf.decode()[-2000:]))
            if select.select([self.proc.stderr], [], [], left)[0]:
                self.buf += os.read(self.proc.stderr.fileno(), 65536)
        self.buf = self.buf[self.buf.index(want) + len(want):]


def run(prefix, rounds, env, timeout, on_round=None):
    """Start hotload (with prefix before it), make it reload the module
    rounds times, and stop it with SIGTERM. Returns its exit status."""
    work = tempfile.mkdtemp(prefix="hotload-leak-")
    try:
        lib = os.path.join(work, "lib.py")
        with open(lib, "w") as f:
            f.write(MODULE.format(n=0))
        s = Session(prefix + [BIN, "-m", "lib", "lib.py"], work, env)
        try:
            s.wait_round(1, timeout)
            for n in range(1, rounds + 1):
                with open(lib, "w") as f:
                    f.write(MODULE.format(n=n))
                s.wait_round(n + 1, timeout)
                if on_round:
                    on_round(n, s.proc.pid)
            s.proc.send_signal(signal.SIGTERM)
            return s.proc.wait(timeout)
        finally:
            if s.proc.poll() is None:
                s.proc.kill()
                s.proc.wait()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# The exit status that tells ctest a test was skipped, not passed.
SKIPPED = 77


def check_valgrind(rounds):
    if not shutil.which("valgrind"):
        print("valgrind is not installed; skipping")
        return SKIPPED
    log = tempfile.NamedTemporaryFile(prefix="hotload-valgrind-",
                                      suffix=".log", delete=False).name
    prefix = ["valgrind", "--tool=memcheck", "--leak-check=full",
              "--show-leak-kinds=definite",
              "--errors-for-leak-kinds=definite", "--error-exitcode=99",
              "--suppressions=" + os.path.join(HERE, "cpython.supp"),
              "--log-file=" + log]
    status = run(prefix, rounds, clean_env(PYTHONMALLOC="malloc"), 120)
    with open(log) as f:
        report = f.read()
    os.unlink(log)
    summary = [l for l in report.splitlines()
               if "ERROR SUMMARY" in l or "definitely lost" in l]
    print("\n".join(summary))
    if status == 99 or "ERROR SUMMARY: 0 errors" not in report:
        print(report)
        print("rounds.py: valgrind found errors or leaks (see above)")
        return 1
    print("rounds.py: %d reloads under valgrind: no memory error, no leak"
          % rounds)
    return 0


def check_rss(rounds):
    if not os.path.exists("/proc/self/status"):
        print("no /proc; skipping")
        return SKIPPED
    seen = {}

    def note(n, pid):
        if n in (100, rounds):
            seen[n] = rss_kib(pid)
    run([], rounds, clean_env(), 60, note)
    growth = seen[rounds] - seen[100]
    print("rounds.py: RSS after round 100: %d KiB, after round %d: %d KiB, "
          "growth %d KiB" % (seen[100], rounds, seen[rounds], growth))
    if growth >= 2048:
        print("rounds.py: RSS grew by 2 MiB or more")
        return 1
    return 0


if __name__ == "__main__":
    kind, count = sys.argv[1], int(sys.argv[2])
    sys.exit(check_valgrind(count) if kind == "valgrind"
             else check_rss(count))
