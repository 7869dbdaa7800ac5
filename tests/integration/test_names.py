"""File names printed safely: a name that holds control characters (a
cloned repository can hold one) is shown escaped in hotload's own messages,
so that it cannot retitle the terminal or write the clipboard, while what
the steps get keeps its exact bytes."""

import os
import signal

from harness import TestCase, clean_env, wait_until

# ESC ] 0 ; PWNED BEL: a terminal that prints it raw is retitled.
EVIL = b"a\x1b]0;PWNED\x07.py"
SHOWN = "a\\033]0;PWNED\\a.py"
# The controls that must never reach the terminal raw from a name.
CONTROLS = (b"\x1b", b"\x07", b"\x9b", b"\xc2\x9b")

# A module that prints the changed files' bytes, in hex.
SHOW_CHANGED = ("import hotload, os\n"
                "for name in hotload.changed:\n"
                "    print('py', os.fsencode(name).hex(), flush=True)\n")


class Names(TestCase):
    def make(self, name, data=b""):
        path = os.path.join(os.fsencode(self.path("d")), name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        return path

    def assert_no_controls(self, err):
        for c in CONTROLS:
            self.assertNotIn(c, err, "a raw %r reached stderr" % c)

    def test_messages_escape_the_name_and_steps_get_its_bytes(self):
        self.make(b"first.py")
        self.write("show.py", SHOW_CHANGED)
        h = self.start("-v", "-m", "show",
                       "-r", 'printf "arg %s\\n" "$@" | od -An -c; '
                       'printf "env %s\\n" "$HOTLOAD_CHANGED" | od -An -c',
                       "d", "show.py", env=clean_env(LC_ALL="C"))
        h.wait_rounds(1)
        evil = self.make(EVIL, b"x")
        self.assertEqual(h.status_after("changed: d/" + SHOWN), "ok")
        os.remove(evil)
        h.wait_err("d/%s is gone" % SHOWN)
        h.stop(signal.SIGTERM)
        err = h.err
        self.assert_no_controls(err)
        self.assertIn(b"new file: d/" + SHOWN.encode(), err)
        # hotload.changed, "$@" and HOTLOAD_CHANGED hold the exact bytes.
        self.assertIn("py " + (b"d/" + EVIL).hex(), h.stdout())
        od = " ".join(h.stdout().split())
        self.assertIn(r"a r g d / a 033 ] 0 ; P W N E D \a . p y", od)
        self.assertIn(r"e n v d / a 033 ] 0 ; P W N E D \a . p y", od)

    def test_the_status_line_escapes_a_label(self):
        self.write("f.txt", "")
        status, out, err = self.run_hotload("--once", "-r",
                                            "echo '\x1b]0;x\x07'", "f.txt")
        self.assertEqual(status, 0)
        self.assertIn("round 1 ok in ", err)
        self.assertIn("'echo '\\033]0;x\\a'' ok", err)
        self.assertIn("\x1b]0;x\x07", out)  # the command's own output

    def test_a_missing_file_s_name_is_escaped(self):
        status, out, err = self.run_hotload("-r", "true", "\x1b[2Jgone.py")
        self.assertEqual(status, 1)
        self.assertIn("\\033[2Jgone.py: No such file or directory", err)
        self.assertNotIn("\x1b", err)

    def test_a_skipped_directory_s_name_is_escaped(self):
        if os.geteuid() == 0:
            self.skipTest("root reads any directory")
        self.make(b"ok.py")
        locked = os.path.dirname(self.make(b"x\x9by/inner.py"))
        os.chmod(locked, 0)
        self.addCleanup(os.chmod, locked, 0o755)
        h = self.start("-r", "true", "d")
        h.wait_rounds(1)
        h.stop()
        self.assert_no_controls(h.err)
        self.assertIn(b"d/x\\233y: Permission denied (skipped)", h.err)

    def test_utf8_names_are_shown_as_they_are(self):
        self.make("café ü.py".encode())
        h = self.start("-v", "-r", "true", "d")
        h.wait_rounds(1)
        self.make("café ü.py".encode(), b"x")
        h.wait_err("changed: d/café ü.py")
        h.wait_rounds(2)

    def test_bytes_that_are_not_utf8_are_shown_in_octal(self):
        self.make(b"x.py")
        h = self.start("-v", "-r", "true", "d")
        h.wait_rounds(1)
        self.make(b"bad\xff\xc2\x9bname.py", b"x")
        wait_until(lambda: b"changed: d/bad\\377\\302\\233name.py" in h.err,
                   what=lambda: "the name escaped in %r" % h.err)
        self.assert_no_controls(h.err)
