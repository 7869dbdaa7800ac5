"""The command line: what to watch, the options, messages and exit statuses."""

import os
import re
import subprocess

from harness import BIN, TestCase, clean_env, write

CLEAR = "\033[H\033[2J\033[3J"


class Usage(TestCase):
    def test_no_files_and_stdin_a_terminal_is_a_usage_error(self):
        # With a --module, --auto is what happens instead (test_auto).
        h = self.start("-r", "true", tty=True)
        self.assertEqual(h.wait_exit(), 2)
        self.assertIn("no files to watch: name them as arguments or pipe "
                      "them in", h.stderr())

    def test_unknown_option(self):
        status, out, err = self.run_hotload("--frobnicate", "-m", "lib")
        self.assertEqual(status, 2)
        self.assertIn("hotload: option --frobnicate is not known "
                      "(see hotload --help)", err)
        status, out, err = self.run_hotload("-Z", "-m", "lib")
        self.assertEqual(status, 2)
        self.assertIn("hotload: option -Z is not known", err)

    def test_ambiguous_option(self):
        status, out, err = self.run_hotload("--po", "-r", "true", ".")
        self.assertEqual(status, 2)
        self.assertIn("option --po is ambiguous: it could be --post-hook or "
                      "--postpone", err)

    def test_missing_argument(self):
        status, out, err = self.run_hotload("lib.py", "--module")
        self.assertEqual(status, 2)
        self.assertIn("hotload: option --module needs an argument", err)

    def test_no_step_is_a_usage_error(self):
        status, out, err = self.run_hotload("lib.py")
        self.assertEqual(status, 2)
        self.assertIn("nothing to do: give a step such as --module", err)

    def test_an_option_after_e_is_a_usage_error(self):
        self.write("lib.py", "")
        status, out, err = self.run_hotload("-e", "-r", "true", "lib.py")
        self.assertEqual(status, 2)
        self.assertIn("hotload: --ext '-r': that is an option, not a file "
                      "ending; -e needs its ending right after it, as in "
                      "-e py", err)
        self.assertNotIn("nothing to do", err)

    def test_bad_color(self):
        status, out, err = self.run_hotload("--color", "sometimes", "-r",
                                            "true", ".")
        self.assertEqual(status, 2)
        self.assertIn("--color 'sometimes': give auto, always or never",
                      err)

    def test_bad_interval(self):
        for bad in ("0", "-1", "abc", "nan"):
            status, out, err = self.run_hotload("-i", bad, "-r", "true", ".")
            self.assertEqual(status, 2, bad)
            self.assertIn("--interval '%s'" % bad, err)

    def test_help_and_version(self):
        status, out, err = self.run_hotload("--help")
        self.assertEqual(status, 0)
        self.assertTrue(out.startswith("usage: hotload"))
        status, out, err = self.run_hotload("-V")
        self.assertEqual(status, 0)
        self.assertRegex(out, r"^hotload \d+\.\d+\.\d+\n$")


class NothingToWatch(TestCase):
    def test_empty_list_on_stdin(self):
        status, out, err = self.run_hotload("-r", "true", stdin="")
        self.assertEqual(status, 1)
        self.assertIn("nothing to watch: the list of files is empty "
                      "(name files as arguments or pipe them in", err)

    def test_every_path_missing(self):
        status, out, err = self.run_hotload("-r", "true", "nope.py",
                                            "gone.py")
        self.assertEqual(status, 1)
        self.assertEqual(err, "hotload: nope.py, gone.py: No such file or "
                         "directory, and there is nothing else to watch "
                         "(check the names; see hotload(1))\n")

    def test_a_mistyped_name_is_one_message(self):
        self.write("lib.py", "")
        status, out, err = self.run_hotload("-m", "lib", "lbi.py")
        self.assertEqual(status, 1)
        self.assertEqual(err, "hotload: lbi.py: No such file or directory, "
                         "and there is nothing else to watch (check the "
                         "name; see hotload(1))\n")

    def test_a_missing_file_is_watched_until_it_appears(self):
        self.write("here.txt", "")
        h = self.start("-r", "echo \"got $*\"", "here.txt", "later.txt")
        h.wait_out("got \n")
        h.wait_err("later.txt: No such file or directory (watching for "
                   "it to appear)")
        self.write("later.txt", "hi\n")
        h.wait_out("got later.txt\n")


class FileLists(TestCase):
    def test_null_separated_names_with_newlines_and_spaces(self):
        odd = "we ird\nname.txt"
        self.write(odd, "")
        h = self.start("-0", "-r", "printf '<%s>' \"$@\"; echo",
                       stdin=odd.encode() + b"\0")
        h.wait_rounds(1)
        write(self.path(odd), "x")
        h.wait_out("<%s>\n" % odd)

    def test_a_file_listed_twice_is_watched_once(self):
        self.write("a.txt", "")
        os.mkdir(self.path("sub"))
        h = self.start("-r", "echo \"$# $HOTLOAD_CHANGED\"",
                       stdin="a.txt\n./a.txt\n%s\nsub/../a.txt\n"
                       "sub//..//a.txt\n" % self.path("a.txt"))
        h.wait_rounds(1)
        write(self.path("a.txt"), "x")
        h.wait_out("1 a.txt\n")

    def test_relative_paths_are_from_the_current_directory(self):
        self.write("sub/f.txt", "")
        h = self.start("-r", "echo \"[$1]\"", "f.txt",
                       cwd=self.path("sub"))
        h.wait_rounds(1)
        write(self.path("sub/f.txt"), "x")
        h.wait_out("[f.txt]\n")

    def test_ext_filters_stdin_but_not_arguments(self):
        self.write("a.py", "")
        self.write("b.txt", "")
        self.write("c.txt", "")
        h = self.start("-e", ".py", "-r", "echo \"[$*]\"",
                       stdin="a.py\nb.txt\n")
        h.wait_rounds(1)
        write(self.path("b.txt"), "x")
        write(self.path("a.py"), "x")
        h.wait_out("[a.py]\n")
        self.assertNotIn("b.txt", h.stdout())
        # An argument is kept whatever its ending: the list is not empty.
        status, out, err = self.run_hotload("-1", "-e", "py", "-r", "true",
                                            "c.txt")
        self.assertEqual(status, 0, err)


class Commands(TestCase):
    def test_changed_files_are_arguments_and_environment_not_code(self):
        name = "a b;$(touch pwned)'\".txt"
        self.write(name, "")
        h = self.start("-r", "printf '<%s>' \"$@\"; echo; "
                       "printf '[%s]\\n' \"$HOTLOAD_CHANGED\"; "
                       "echo \"running=$HOTLOAD_RUNNING\"", name)
        h.wait_out("running=1\n")
        self.assertIn("<>\n[]\n", h.stdout())  # first round: no changes
        write(self.path(name), "x")
        h.wait_out("<%s>\n[%s]\n" % (name, name))
        self.assertFalse(os.path.exists(self.path("pwned")))

    def test_failing_command_is_reported_and_the_loop_goes_on(self):
        self.write("f.txt", "")
        h = self.start("-r", "exit 3", "f.txt")
        self.assertEqual(h.wait_rounds(1), [(1, "failed")])
        self.assertIn("'exit 3' exit 3", h.stderr())
        write(self.path("f.txt"), "x")
        self.assertEqual(h.wait_rounds(2)[1], (2, "failed"))
        self.assertIsNone(h.proc.poll())

    def test_steps_run_in_command_line_order(self):
        self.write("m.py", "print('module')\n")
        status, out, err = self.run_hotload(
            "-1", "-r", "echo one", "-m", "m", "-r", "echo two", "m.py")
        self.assertEqual((status, out), (0, "one\nmodule\ntwo\n"), err)

    def test_command_gets_default_sigpipe(self):
        self.write("m.py", "")
        status, out, err = self.run_hotload(
            "-1", "-m", "m", "-r", "yes | head -n 2", "m.py")
        self.assertEqual((status, out), (0, "y\ny\n"), err)


class Control(TestCase):
    def test_once_exit_statuses(self):
        self.write("f.txt", "")
        self.assertEqual(self.run_hotload("-1", "-r", "true", "f.txt")[0], 0)
        self.assertEqual(self.run_hotload("-1", "-r", "true", "-r", "false",
                                          "f.txt")[0], 1)
        self.write("bad.py", "1/0\n")
        status, out, err = self.run_hotload("--once", "-m", "bad", "f.txt")
        self.assertEqual(status, 1)
        self.assertIn("ZeroDivisionError", err)

    def test_once_needs_no_file_list(self):
        h = self.start("--once", "-r", "echo done", tty=True)
        self.assertEqual(h.wait_exit(), 0)
        self.assertIn("done", h.stdout())

    def test_once_does_not_wait_for_stdin_to_end(self):
        p = subprocess.Popen([BIN, "--once", "-r", "echo done"],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.DEVNULL, env=clean_env(),
                             cwd=self.dir)
        try:
            self.assertEqual(p.stdout.read(), b"done\n")
            self.assertEqual(p.wait(30), 0)
        finally:
            p.stdin.close()
            p.stdout.close()
            p.kill()
            p.wait()

    def test_postpone_waits_for_the_first_change(self):
        self.write("f.txt", "")
        self.write("g.txt", "")
        h = self.start("-p", "-r", "echo \"ran for $*\"", "f.txt", "g.txt")
        h.wait_err("hotload: watching 2 files; the first round runs at the "
                   "first change\n")
        write(self.path("g.txt"), "x")
        h.wait_out("ran for g.txt\n")
        self.assertEqual(h.wait_rounds(1), [(1, "ok")])
        self.assertEqual(h.stdout(), "ran for g.txt\n")

    def test_postpone_and_once_wait_then_exit(self):
        self.write("f.txt", "")
        h = self.start("-p", "-1", "-r", "echo \"saw $*\"", "f.txt")
        h.wait_err("hotload: watching 1 file;")
        write(self.path("f.txt"), "x")
        self.assertEqual(h.wait_exit(), 0)
        self.assertEqual(h.stdout(), "saw f.txt\n")

    def test_quiet_prints_no_status_lines(self):
        self.write("f.txt", "")
        status, out, err = self.run_hotload("-q", "-1", "-r", "echo hi",
                                            "f.txt")
        self.assertEqual((status, out, err), (0, "hi\n", ""))

    def test_status_line_says_what_ran_and_how_long(self):
        self.write("m.py", "")
        status, out, err = self.run_hotload("-1", "-m", "m", "-r", "true",
                                            "m.py")
        self.assertRegex(err, r"^hotload: round 1 ok in \d+(\.\d+)? m?s: "
                              r"m ok, 'true' ok\n$")

    def test_interval(self):
        self.write("f.txt", "")
        h = self.start("-i", "50", "-r", "echo \"[$*]\"", "f.txt")
        h.wait_rounds(1)
        write(self.path("f.txt"), "x")
        h.wait_out("[f.txt]\n")


class Clear(TestCase):
    def test_clear_terminal_before_each_round(self):
        self.write("f.txt", "")
        h = self.start("-c", "-r", "echo ran", "f.txt", tty=True)
        h.wait_out("ran\r\n")
        write(self.path("f.txt"), "x")
        h.wait_out("ran\r\n", count=2)
        out = h.stdout()
        self.assertEqual(out.count(CLEAR), 2)
        self.assertTrue(out.startswith(CLEAR))
        self.assertLess(out.rindex(CLEAR), out.rindex("ran"))

    def test_no_clear_wins_when_last(self):
        self.write("f.txt", "")
        h = self.start("-c", "--no-clear", "-1", "-r", "echo ran", "f.txt",
                       tty=True)
        self.assertEqual(h.wait_exit(), 0)
        self.assertNotIn("\033[2J", h.stdout())

    def test_no_escape_codes_into_a_pipe(self):
        self.write("f.txt", "")
        status, out, err = self.run_hotload("-c", "-1", "-r", "echo ran",
                                            "f.txt")
        self.assertEqual(out, "ran\n")
        self.assertNotIn("\033", err)


class Color(TestCase):
    """Status lines in colour on a terminal: ok green, failed red,
    restarted yellow."""

    GREEN, RED, YELLOW, OFF = "\033[32m", "\033[31m", "\033[33m", "\033[m"

    def raw(self, *args, rounds=1, **env):
        """hotload on a terminal, once it has printed rounds status lines;
        its output, colours and all, is in h.out."""
        self.write("f.txt", "")
        e = clean_env(**dict({"TERM": "xterm"}, **env))
        if "NO_COLOR" not in env:
            e.pop("NO_COLOR", None)
        h = self.start(*args, "f.txt", tty=True, env=e)
        h.wait_rounds(rounds)
        return h

    def test_ok_is_green_and_failed_red_on_a_terminal(self):
        h = self.raw("-r", "true", "-r", "exit 2")
        out = h.out.decode()
        self.assertIn("hotload: round 1 %sfailed%s in " % (self.RED,
                                                          self.OFF), out)
        self.assertIn(": 'true' %sok%s, 'exit 2' %sexit 2%s" % (
            self.GREEN, self.OFF, self.RED, self.OFF), out)
        self.assertEqual(h.rounds(), [(1, "failed")])

    def test_restarted_is_yellow(self):
        h = self.raw("--restart", "-r", "echo go; sleep 60", rounds=0)
        h.wait_out("go")
        write(self.path("f.txt"), "x")
        h.wait_rounds(1)
        self.assertIn("round 1 %srestarted%s" % (self.YELLOW, self.OFF),
                      h.out.decode())

    def test_no_color_turns_it_off(self):
        h = self.raw("-r", "true", NO_COLOR="1")
        self.assertNotIn("\033[", h.out.decode())

    def test_an_empty_no_color_does_not(self):
        h = self.raw("-r", "true", NO_COLOR="")
        self.assertIn(self.GREEN, h.out.decode())

    def test_a_dumb_terminal_gets_none(self):
        h = self.raw("-r", "true", TERM="dumb")
        self.assertNotIn("\033[", h.out.decode())

    def test_color_never_and_always_override(self):
        h = self.raw("--color=never", "-r", "true")
        self.assertNotIn("\033[", h.out.decode())
        h = self.raw("--color", "always", "-r", "true", NO_COLOR="1")
        self.assertIn(self.GREEN, h.out.decode())
        status, out, err = self.run_hotload("--color=always", "-1", "-r",
                                            "true", "f.txt")
        self.assertIn("%sok%s" % (self.GREEN, self.OFF), err)

    def test_never_into_a_pipe_or_a_file(self):
        self.write("f.txt", "")
        log = self.path("log")
        with open(log, "w") as f:
            subprocess.run(["sh", "-c", '"$@" 2>&1', "sh", BIN, "-1", "-r",
                            "true", "f.txt"], cwd=self.dir, stdout=f,
                           env=clean_env(TERM="xterm"), check=True)
        with open(log) as f:
            text = f.read()
        self.assertIn("round 1 ok", text)
        self.assertNotIn("\033", text)


class FirstDay(TestCase):
    """Rough edges a new user meets on the first day."""

    def test_watching_one_file_in_one_directory(self):
        self.write("f.txt", "")
        h = self.start("-v", "-r", "true", "f.txt")
        h.wait_rounds(1)
        err = h.stderr()
        if "inotify watch" in err:
            self.assertIn("watching 1 file in 1 directory with 1 inotify "
                          "watch\n", err)
        else:
            self.assertIn("watching 1 file by polling", err)
        self.assertNotIn("1 files", err)
        self.assertNotIn("1 directories", err)
        self.write("g.txt", "")
        h = self.start("-v", "-r", "true", "f.txt", "g.txt")
        h.wait_rounds(1)
        self.assertRegex(h.stderr(), "watching 2 files (in 1 directory "
                         "with 1 inotify watch|by polling)")

    def test_a_misspelt_hook_gets_a_suggestion(self):
        self.write("lib.py", "def main():\n    print('main ran')\n")
        for hook in ("mian", "maim", "Main"):
            with self.subTest(hook):
                status, out, err = self.run_hotload(
                    "-1", "-m", "lib", "--post-hook", hook, "lib.py")
                self.assertEqual(status, 1)
                self.assertIn("AttributeError: module 'lib' has no "
                              "attribute '%s'. Did you mean: 'main'?\n"
                              % hook, err)
                self.assertEqual(err.count("Did you mean"), 1)

    def test_a_dotted_hook_gets_a_suggestion_too(self):
        self.write("lib.py", "class App:\n"
                   "    def run(self):\n        pass\n\napp = App()\n")
        status, out, err = self.run_hotload("-1", "-m", "lib", "--post-hook",
                                            "app.rnu", "lib.py")
        self.assertIn("AttributeError: 'App' object has no attribute 'rnu'. "
                      "Did you mean: 'run'?", err)

    def test_a_hook_that_raises_attributeerror_itself_is_left_alone(self):
        self.write("lib.py", "def main():\n    return object().nope\n")
        status, out, err = self.run_hotload("-1", "-m", "lib", "--post-hook",
                                            "main", "lib.py")
        self.assertIn("AttributeError: 'object' object has no attribute "
                      "'nope'", err)
        self.assertIn('line 2, in main', err)

    def test_main_guarded_by_name_is_said_once(self):
        self.write("app.py", "def main():\n    print('main ran')\n\n"
                   "if __name__ == '__main__':\n    main()\n")
        h = self.start("-m", "app", "app.py")
        h.wait_rounds(1)
        write(self.path("app.py"), "def main():\n    print('main ran')\n\n"
              "if '__main__' == __name__:\n    main()\n")
        h.wait_rounds(2)
        hint = ('hotload: app: the code under if __name__ == "__main__": '
                'does not run, since hotload imports app as a module; '
                '--post-hook main runs main() after every import\n')
        self.assertEqual(h.stderr().count(hint), 1, h.stderr())
        self.assertNotIn("main ran", h.stdout())

    def test_main_guard_hint_without_a_function_to_name(self):
        self.write("app.py", "if __name__ == '__main__':\n"
                   "    print('script')\n")
        status, out, err = self.run_hotload("-1", "-m", "app", "app.py")
        self.assertEqual(status, 0)
        self.assertIn("put it in a function, and name that with --post-hook",
                      err)

    def test_no_hint_with_a_post_hook_or_without_a_guard(self):
        self.write("app.py", "def main():\n    print('main ran')\n\n"
                   "if __name__ == '__main__':\n    main()\n")
        status, out, err = self.run_hotload("-1", "-m", "app", "--post-hook",
                                            "main", "app.py")
        self.assertEqual(out, "main ran\n")
        self.assertNotIn("__main__", err)
        self.write("lib.py", "def main():\n    pass\n")
        status, out, err = self.run_hotload("-1", "-m", "lib", "lib.py")
        self.assertNotIn("__main__", err)
