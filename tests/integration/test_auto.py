"""--auto: hotload watches the files of the modules a --module imports.

Each module prints "loading NAME N" when its code runs (N: a version the
test writes), so stdout shows which modules a round ran and in what order.
A file that is not watched is shown to be so by a save of it followed by a
save of a watched file: the round that follows names only the second
(with -v, each round names its changed files).
"""

import os
import subprocess
import unittest

from harness import (PYTHON, TIMEOUT, TestCase, clean_env, wait_until, write,
                     write_atomic)
from test_real_programs import embedded_python_has, fetch, free_port


def module(name, version, body=""):
    """The source of a module that says when it runs."""
    return "print('loading %s %d')\n%s" % (name, version, body)


APP = ("import helper\n"
       "print('value', helper.VALUE)\n")
HELPER = "VALUE = %d\n"


class Auto(TestCase):
    def start_app(self, *args, **kw):
        """hotload -v -m app with args, once its first round is over."""
        kw.setdefault("env", clean_env())
        h = self.start("-v", "-m", "app", *args, **kw)
        h.wait_rounds(1)
        return h

    def saved_and_run(self, h, path, text, expect):
        """Save path, and wait for the round that prints expect; return
        the rounds' status lines so far."""
        write(path, text)
        h.wait_out(expect)
        return h.wait_rounds(len(h.rounds()))

    def not_watched(self, h, path, text):
        """Save path, which is not watched, then a file that is (app.py,
        with a new version): the round that follows is for app.py only.
        Each round loads app: the rounds counted are over once each
        loading has its status line."""
        before = len(h.wait_rounds(h.stdout().count("loading app ")))
        write(path, text)
        version = h.stdout().count("loading app") + 100
        write(self.path("app.py"), module("app", version, self.app_body))
        h.wait_out("loading app %d\n" % version)
        rounds = h.wait_rounds(before + 1)
        self.assertEqual(len(rounds), before + 1, h.stderr())
        name = os.path.relpath(path, self.dir)
        self.assertNotIn("changed: " + name, h.stderr())
        return version


class Default(Auto):
    app_body = APP

    def setUp(self):
        super().setUp()
        self.write("app.py", module("app", 1, APP))
        self.helper = self.write("helper.py", module("helper", 1,
                                                     HELPER % 1))

    def check_helper_edit(self, h):
        """Saving helper.py reloads helper, then app, which sees it."""
        h.wait_out("value 1")
        write(self.helper, module("helper", 2, HELPER % 2))
        h.wait_out("value 2")
        out = h.stdout().splitlines()
        at = out.index("value 2")
        self.assertEqual(out[at - 2:at], ["loading helper 2",
                                          "loading app 1"], out)
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))
        self.assertIn("hotload: changed: helper.py", h.stderr())

    def test_given_explicitly_without_a_terminal(self):
        h = self.start_app("--auto")
        self.assertEqual(h.rounds(), [(1, "ok")])
        self.check_helper_edit(h)

    def test_the_default_on_a_terminal_with_no_files(self):
        h = self.start_app(tty=True)
        self.assertEqual(h.rounds(), [(1, "ok")])
        self.check_helper_edit(h)

    def test_verbose_names_the_files_as_they_join(self):
        h = self.start_app("-a")
        err = h.stderr()
        self.assertIn("hotload: watching app.py, the file of an imported "
                      "module\n", err)
        self.assertIn("hotload: watching helper.py, the file of an imported "
                      "module\n", err)

    def test_the_module_its_imports_and_a_named_file(self):
        data = self.write("data.txt", "1\n")
        h = self.start_app("-a", "-r", "echo ran: $HOTLOAD_CHANGED",
                           "data.txt")
        write(data, "2\n")
        h.wait_out("ran: data.txt\n")
        write(self.helper, module("helper", 2, HELPER % 2))
        h.wait_out("ran: helper.py\n")
        h.wait_out("value 2\n")
        self.assertEqual(h.wait_rounds(3)[1:], [(2, "ok"), (3, "ok")])

    def test_a_module_no_longer_imported_leaves(self):
        h = self.start_app("-a")
        self.app_body = "print('value', 0)\n"
        write(self.path("app.py"), module("app", 2, self.app_body))
        h.wait_out("loading app 2\n")
        h.wait_err("hotload: no longer watching helper.py: no module "
                   "imports it now\n")
        self.not_watched(h, self.helper, module("helper", 3, HELPER % 3))
        self.assertNotIn("loading helper 3", h.stdout())

    def test_a_module_in_a_package_below_is_watched(self):
        # Its directory holds no file watched before: it gets a watch.
        self.write("app.py", module("app", 1, "from pkg import deep\n"
                                    "print('value', deep.VALUE)\n"))
        self.write("pkg/__init__.py", "")
        deep = self.write("pkg/deep.py", module("deep", 1, HELPER % 1))
        h = self.start_app("-a")
        h.wait_out("value 1\n")
        write(deep, module("deep", 2, HELPER % 2))
        h.wait_out("value 2\n")
        h.wait_err("hotload: changed: pkg/deep.py\n")

    def test_auto_needs_a_module(self):
        status, out, err = self.run_hotload("--auto", "-r", "true")
        self.assertEqual(status, 2)
        self.assertIn("hotload: --auto watches the files of the modules "
                      "that a --module imports: give a --module", err)

    def test_a_module_that_cannot_be_found_leaves_nothing_to_watch(self):
        status, out, err = self.run_hotload("--auto", "-m", "nosuchmodule")
        self.assertEqual(status, 1, err)
        self.assertIn("hotload: nothing to watch: no --module's file was "
                      "found", err)


class Lazy(Auto):
    # app imports lazy inside a function, which it calls from its second
    # run on.
    app_body = ("import hotload\n"
                "def later():\n"
                "    import lazy\n"
                "    print('lazy', lazy.VALUE)\n"
                "if hotload.reloads > 0:\n"
                "    later()\n")

    def test_a_lazy_import_joins_after_the_round_that_made_it(self):
        self.write("app.py", module("app", 1, self.app_body))
        lazy = self.write("lazy.py", module("lazy", 1, HELPER % 1))
        h = self.start_app("-a")
        self.assertNotIn("loading lazy", h.stdout())
        version = self.not_watched(h, lazy, module("lazy", 2, HELPER % 2))
        h.wait_out("lazy 2\n")
        h.wait_err("hotload: watching lazy.py, the file of an imported "
                   "module\n")
        write(lazy, module("lazy", 3, HELPER % 3))
        h.wait_out("lazy 3\n")
        out = h.stdout().split("\n")
        at = out.index("lazy 3")
        self.assertEqual(out[at - 2:at], ["loading lazy 3",
                                          "loading app %d" % version], out)


class StartFailed(Auto):
    app_body = APP

    def test_a_syntax_error_at_start_is_watched_through_its_file(self):
        self.write("app.py", module("app", 1, APP))
        helper = self.write("helper.py", "VALUE = = 1\n")
        h = self.start("-a", "-m", "app", env=clean_env())
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        h.wait_err("SyntaxError")
        write(helper, module("helper", 1, HELPER % 7))
        h.wait_out("value 7\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "ok"))


class Restart(Auto):
    # A server started by the first round: the helper it imports is
    # watched while it still runs, and a save of it restarts the server.
    app_body = ("import time\n"
                "import helper\n"
                "def serve():\n"
                "    print('serving', helper.VALUE, flush=True)\n"
                "    while True:\n"
                "        time.sleep(0.01)\n")

    def test_a_save_of_an_imported_module_restarts_the_server(self):
        self.write("app.py", module("app", 1, self.app_body))
        helper = self.write("helper.py", HELPER % 1)
        h = self.start("-v", "-m", "app", "--post-hook", "serve",
                       "--restart", tty=True, env=clean_env())
        h.wait_out("serving 1")
        # The save comes once helper.py is watched (-v says so), as a
        # user's would, not within the same millisecond.
        h.wait_err("helper.py")
        write(helper, HELPER % 2)
        h.wait_out("serving 2")
        write(helper, HELPER % 3)
        h.wait_out("serving 3")
        self.assertEqual([s for n, s in h.rounds()][:2],
                         ["restarted", "restarted"])


class Installed(Auto):
    app_body = ("import json, email.utils\n"
                "import venvpkg\n"
                "import helper\n"
                "print('value', venvpkg.VALUE, helper.VALUE)\n")

    def make_venv(self):
        """A virtualenv in the project, as .venv, with a package of its
        own; returns the package's file."""
        venv = self.path(".venv")
        try:
            p = subprocess.run(
                [PYTHON, "-m", "venv", "--without-pip", venv],
                stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
            if p.returncode != 0:
                raise OSError(p.stderr.decode().strip().splitlines()[-1:])
            p = subprocess.run(
                [os.path.join(venv, "bin", "python"), "-c",
                 "import sysconfig; print(sysconfig.get_path('purelib'))"],
                stdin=subprocess.DEVNULL, capture_output=True,
                timeout=TIMEOUT, env=clean_env())
            if p.returncode != 0:
                raise OSError(p.stderr.decode())
        except (OSError, subprocess.SubprocessError) as e:
            self.skipTest("cannot make a virtualenv with %s -m venv (on "
                          "Debian, install python3-venv): %s" % (PYTHON, e))
        site = p.stdout.decode().strip()
        self.assertTrue(site.startswith(venv + os.sep), site)
        return self.write(os.path.join(site, "venvpkg", "__init__.py"),
                          module("venvpkg", 1, "VALUE = 'from the venv'\n"))

    def test_the_standard_library_and_the_venv_s_packages_are_not_watched(
            self):
        installed = self.make_venv()
        venv = self.path(".venv")
        env = clean_env(VIRTUAL_ENV=venv, PATH=os.path.join(venv, "bin") +
                        os.pathsep + os.environ.get("PATH", ""))
        self.write("app.py", module("app", 1, self.app_body))
        self.write("helper.py", module("helper", 1, HELPER % 1))
        h = self.start_app("-a", env=env)
        h.wait_out("value from the venv 1\n")
        joined = [line for line in h.stderr().split("\n")
                  if line.startswith("hotload: watching ") and
                  "inotify" not in line and "polling" not in line]
        self.assertEqual(joined, [
            "hotload: watching app.py, the file of an imported module",
            "hotload: watching helper.py, the file of an imported module"])
        self.not_watched(h, installed, module("venvpkg", 2,
                                              "VALUE = 'changed'\n"))
        self.assertNotIn("loading venvpkg 2", h.stdout())


FLASK_APP = """\
from flask import Flask

import views

app = Flask(__name__)
app.add_url_rule("/", view_func=views.index)


def serve():
    app.run(host="127.0.0.1", port=%d, use_reloader=False)
"""
VIEWS = "def index():\n    return 'version %d'\n"


@unittest.skipUnless(embedded_python_has("flask"),
                     "Flask is not importable in the python hotload embeds "
                     "(%s); Debian's python3-flask gives it to /usr/bin/"
                     "python3" % PYTHON)
class Flask(Auto):
    def test_the_readme_s_recipe_serves_every_save_of_a_view(self):
        port = free_port()
        self.write("app.py", FLASK_APP % port)
        self.write("views.py", VIEWS % 1)
        h = self.start("-m", "app", "--post-hook", "serve", "--restart",
                       tty=True, env=clean_env())
        for version in range(1, 5):
            if version > 1:
                write_atomic(self.path("views.py"), VIEWS % version)
            want = "version %d" % version
            seen = []
            wait_until(lambda: seen.append(fetch(port)) or seen[-1] == want,
                       what=lambda: "%r on port %d; last answer %r; "
                       "output:\n%s" % (want, port, seen[-1], h.stderr()))
        self.assertNotIn("Address already in use", h.stderr())
