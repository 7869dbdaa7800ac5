"""The embedded interpreter as the user's python: their virtualenv, and
sys.argv, __name__ and sys.path as "python lib.py" would set them.

A real virtualenv is made once for the module with the python hotload was
built against (python -m venv --without-pip); the tests are skipped, with
the reason, where that cannot be done (Debian without python3-venv).
"""

import os
import shutil
import subprocess
import tempfile
import unittest

from harness import PYTHON, TIMEOUT, TestCase, clean_env, write

# A package that only the virtualenv has.
PACKAGE = "venvonly"
LIB = ("import sys\n"
       "print('executable', sys.executable)\n"
       "print('prefix', sys.prefix)\n"
       "import venvonly\n"
       "print('value', venvonly.VALUE, %d)\n")

venv_dir = None
venv_error = None


def setUpModule():
    global venv_dir, venv_error
    top = tempfile.mkdtemp(prefix="hotload-venv-")
    venv = os.path.join(top, "venv")
    try:
        p = subprocess.run([PYTHON, "-m", "venv", "--without-pip", venv],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=120)
        if p.returncode != 0:
            raise OSError(p.stderr.decode().strip().splitlines()[-1:])
        p = subprocess.run(
            [os.path.join(venv, "bin", "python"), "-c",
             "import sysconfig; print(sysconfig.get_path('purelib'))"],
            stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT,
            env=clean_env())
        if p.returncode != 0:
            raise OSError(p.stderr.decode())
    except (OSError, subprocess.SubprocessError) as e:
        shutil.rmtree(top, ignore_errors=True)
        venv_error = "cannot make a virtualenv with %s -m venv (on Debian, " \
                     "install python3-venv): %s" % (PYTHON, e)
        return
    site = p.stdout.decode().strip()
    os.makedirs(os.path.join(site, PACKAGE))
    write(os.path.join(site, PACKAGE, "__init__.py"),
          "VALUE = 'from the virtualenv'\n")
    venv_dir = venv


def tearDownModule():
    if venv_dir is not None:
        shutil.rmtree(os.path.dirname(venv_dir), ignore_errors=True)


def env_without_venv(**extra):
    """A shell's environment with no virtualenv active."""
    env = clean_env()
    env.pop("VIRTUAL_ENV", None)
    env.update(extra)
    return env


def env_with_venv(venv):
    """A shell's environment after "source VENV/bin/activate"."""
    return env_without_venv(VIRTUAL_ENV=venv, PATH=os.path.join(venv, "bin")
                            + os.pathsep + os.environ.get("PATH", ""))


def same_path(a, b):
    return os.path.realpath(a) == os.path.realpath(b)


class VenvTestCase(TestCase):
    def setUp(self):
        if venv_dir is None:
            self.skipTest(venv_error)
        super().setUp()

    def value_line(self, out):
        return [line for line in out.split("\n") if line.startswith("value")]

    def fake_venv(self, version_line):
        """A copy of the virtualenv whose pyvenv.cfg says version_line."""
        fake = os.path.join(tempfile.mkdtemp(dir=self.dir), "venv")
        shutil.copytree(venv_dir, fake, symlinks=True)
        cfg = os.path.join(fake, "pyvenv.cfg")
        with open(cfg) as f:
            kept = [line for line in f
                    if not line.startswith(("version", "version_info"))]
        write(cfg, "".join(kept) + version_line + "\n")
        return fake


class Virtualenv(VenvTestCase):
    def test_venv_packages_import_and_reload(self):
        lib = self.write("lib.py", LIB % 1)
        h = self.start("-m", "lib", "lib.py", env=env_with_venv(venv_dir))
        h.wait_out("value from the virtualenv 1\n")
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        write(lib, LIB % 2)
        h.wait_out("value from the virtualenv 2\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))
        out = h.stdout().split("\n")
        self.assertTrue(out[0].startswith("executable "), out)
        self.assertEqual(out[0], "executable " + os.path.join(
            venv_dir, "bin", "python"))
        self.assertTrue(same_path(out[1][len("prefix "):], venv_dir), out)
        self.assertNotIn("hotload: the virtualenv", h.stderr())

    def test_without_virtual_env_the_import_fails_and_hotload_goes_on(self):
        lib = self.write("lib.py", LIB % 1)
        h = self.start("-m", "lib", "lib.py", env=env_without_venv())
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        h.wait_err("ModuleNotFoundError: No module named 'venvonly'")
        self.assertIn("Traceback (most recent call last)", h.stderr())
        self.assertIn("lib ModuleNotFoundError", h.stderr())
        h.wait_out("executable ")
        out = h.stdout().split("\n")
        self.assertTrue(out[0].startswith("executable "), out)
        self.assertNotIn(venv_dir, out[0])
        # hotload is still there: the next save runs a round.
        write(lib, "print('still running')\n")
        h.wait_out("still running\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))

    def test_once_in_the_venv_succeeds_and_outside_fails(self):
        self.write("lib.py", LIB % 1)
        status, out, err = self.run_hotload("--once", "-m", "lib", "lib.py",
                                            env=env_with_venv(venv_dir))
        self.assertEqual((status, self.value_line(out)),
                         (0, ["value from the virtualenv 1"]), err)
        status, out, err = self.run_hotload("--once", "-m", "lib", "lib.py",
                                            env=env_without_venv())
        self.assertEqual((status, self.value_line(out)), (1, []), err)
        self.assertIn("ModuleNotFoundError", err)

    def test_venv_for_another_python_version_is_named_in_a_warning(self):
        p = subprocess.run([PYTHON, "-c", "import sys; print('%d.%d' % "
                            "sys.version_info[:2])"], capture_output=True,
                           timeout=TIMEOUT)
        ours = p.stdout.decode().strip()
        major, minor = map(int, ours.split("."))
        for line, theirs in (
                ("version = %d.%d.0" % (major, minor + 1),
                 "%d.%d" % (major, minor + 1)),
                ("version = 3.2.0", "3.2"),
                ("version_info = 2.7.18.final.0", "2.7")):
            with self.subTest(line):
                fake = self.fake_venv(line)
                self.write("lib.py", "print('ran')\n")
                status, out, err = self.run_hotload(
                    "--once", "-m", "lib", "lib.py",
                    env=env_with_venv(fake))
                self.assertIn(
                    "hotload: the virtualenv %s is for Python %s, but "
                    "hotload runs Python %s: its packages will not import."
                    % (fake, theirs, ours), err)
                self.assertIn("Make the virtualenv with Python %s" % ours,
                              err)
                self.assertEqual((status, out), (0, "ran\n"), err)

    def test_venv_for_this_python_version_gives_no_warning(self):
        self.write("lib.py", "print('ran')\n")
        p = subprocess.run([PYTHON, "-c", "import sys; print('%d.%d.%d' % "
                            "sys.version_info[:3])"], capture_output=True,
                           timeout=TIMEOUT)
        fake = self.fake_venv("version = " + p.stdout.decode().strip())
        status, out, err = self.run_hotload("--once", "-m", "lib", "lib.py",
                                            env=env_with_venv(fake))
        self.assertEqual((status, out), (0, "ran\n"), err)
        self.assertNotIn("virtualenv", err)

    def test_virtual_env_without_bin_python_is_ignored_with_a_message(self):
        empty = os.path.join(self.dir, "not-a-venv")
        os.mkdir(empty)
        lib = self.write("lib.py", "import sys\nprint('executable', "
                         "sys.executable)\nprint('saved', %d)\n" % 1)
        h = self.start("-m", "lib", "lib.py",
                       env=env_without_venv(VIRTUAL_ENV=empty))
        h.wait_out("saved 1\n")
        h.wait_err("hotload: VIRTUAL_ENV is %s, but it has no bin/python; "
                   "ignoring it" % empty)
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        self.assertNotIn(empty, h.stdout())
        write(lib, "print('saved', 2)\n")
        h.wait_out("saved 2\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))


class LikePythonFile(TestCase):
    """What "python lib.py" sets, hotload sets for the module lib."""

    def test_argv_name_and_path(self):
        src = ("import os, sys\n"
               "print('argv', sys.argv)\n"
               "print('name', __name__)\n"
               "print('path0', sys.path[0])\n"
               "print('cwd', os.getcwd())\n")
        self.write("lib.py", src)
        self.write("pkg/__init__.py", "")
        self.write("pkg/mod.py", src)
        self.write("src/app.py", src)
        for arg, name, file in (("lib", "lib", "lib.py"),
                                ("lib.py", "lib", "lib.py"),
                                ("pkg/mod.py", "pkg.mod", "pkg/mod.py"),
                                ("src/app.py", "app", "src/app.py")):
            with self.subTest(arg):
                status, out, err = self.run_hotload(
                    "--once", "-m", arg, file, env=env_without_venv())
                self.assertEqual(status, 0, err)
                got = dict(line.split(" ", 1)
                           for line in out.split("\n") if line)
                self.assertEqual(got["argv"], repr(
                    [os.path.join(got["cwd"], file)]))
                self.assertTrue(same_path(got["cwd"], self.dir))
                self.assertEqual(got["name"], name)
                self.assertEqual(got["path0"], got["cwd"])

    def test_argv_stays_the_same_across_reloads(self):
        src = "import sys\nprint('argv', sys.argv)\nprint('save', %d)\n"
        lib = self.write("lib.py", src % 1)
        h = self.start("-m", "lib", "lib.py", env=env_without_venv())
        h.wait_out("save 1\n")
        h.wait_rounds(1)
        write(lib, src % 2)
        h.wait_out("save 2\n")
        out = h.stdout().split("\n")
        self.assertEqual(out[0], out[2])
        self.assertTrue(out[0].startswith("argv ['/"), out)
        self.assertTrue(same_path(out[0][len("argv ['"):-len("']")],
                                  self.path("lib.py")), out)


if __name__ == "__main__":
    unittest.main()
