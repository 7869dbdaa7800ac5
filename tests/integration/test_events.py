"""--events FILE: a line of JSON per round, read here as an editor's plugin
would read it: follow the file, take each whole line, find the error's
place in the user's code."""

import datetime
import json
import os
import re

from harness import TestCase, wait_until, write

LIB = ("import json\n"
       "\n"
       "def check(n):\n"
       "    if n > 2:\n"
       "        raise ValueError('n is %d, more than 2' % n)\n"
       "\n"
       "check(N)\n")


def lib(n):
    return LIB.replace("N", str(n))


def line_of(path, text):
    """The number of the first line of path that holds text."""
    with open(path) as f:
        for number, line in enumerate(f, 1):
            if text in line:
                return number
    raise AssertionError("%r is not in %s" % (text, path))


class Follower:
    """Reads the events file as a plugin does: whole lines, as they come."""

    def __init__(self, path):
        self.path = path
        self.events = []
        self.offset = 0
        self.rest = b""

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return self.events
        self.offset += len(data)
        lines = (self.rest + data).split(b"\n")
        self.rest = lines.pop()
        self.events += [json.loads(line.decode("utf-8", "surrogatepass"))
                        for line in lines]
        return self.events

    def wait(self, n):
        wait_until(lambda: len(self.poll()) >= n,
                   what=lambda: "%d events in %s: %r" % (
                       n, self.path, self.events))
        return self.events


class Events(TestCase):
    def setUp(self):
        super().setUp()
        self.events = Follower(self.path(".events.jsonl"))

    def start_events(self, *args, **kw):
        return self.start("--events", ".events.jsonl", *args, **kw)

    def test_an_editor_finds_the_line_that_raised(self):
        path = self.write("lib.py", lib(3))
        h = self.start_events("-m", "lib", "lib.py")
        event = self.events.wait(1)[0]
        self.assertEqual(event["round"], 1)
        self.assertEqual(event["status"], "failed")
        self.assertEqual(event["changed"], [])
        step, = event["steps"]
        self.assertEqual(step["label"], "lib")
        self.assertEqual(step["kind"], "module")
        self.assertEqual(step["status"], "failed")
        self.assertEqual(step["detail"], "ValueError")
        error = step["error"]
        self.assertEqual(error["type"], "ValueError")
        self.assertEqual(error["message"], "n is 3, more than 2")
        self.assertEqual(error["file"], path)
        self.assertEqual(error["line"], line_of(path, "raise ValueError"))
        # A save that mends it: ok, with the file it ran for.
        write(path, lib(1))
        event = self.events.wait(2)[1]
        self.assertEqual((event["round"], event["status"]), (2, "ok"))
        self.assertEqual(event["changed"], ["lib.py"])
        self.assertEqual(event["steps"][0]["error"], None)
        self.assertEqual(event["steps"][0]["detail"], "ok")
        self.assertEqual(h.wait_rounds(2), [(1, "failed"), (2, "ok")])

    def test_fields_and_their_types(self):
        self.write("lib.py", lib(1))
        before = datetime.datetime.now(datetime.timezone.utc)
        self.start_events("-m", "lib", "-r", "exit 3", "lib.py")
        event = self.events.wait(1)[0]
        self.assertEqual(list(event), ["round", "start", "duration_ms",
                                       "status", "changed", "steps"])
        self.assertRegex(event["start"],
                         r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
        start = datetime.datetime.strptime(
            event["start"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(
                tzinfo=datetime.timezone.utc)
        self.assertLess(abs((start - before).total_seconds()), 60)
        self.assertIsInstance(event["duration_ms"], float)
        self.assertGreaterEqual(event["duration_ms"], 0)
        module, command = event["steps"]
        for step in (module, command):
            self.assertEqual(list(step), ["label", "kind", "status",
                                          "duration_ms", "detail", "error"])
            self.assertLessEqual(step["duration_ms"], event["duration_ms"])
        self.assertEqual(command["label"], "'exit 3'")
        self.assertEqual(command["kind"], "command")
        self.assertEqual(command["status"], "failed")
        self.assertEqual(command["detail"], "exit 3")
        self.assertIsNone(command["error"])
        self.assertEqual(event["status"], "failed")

    def test_each_round_is_one_line_flushed_as_it_ends(self):
        path = self.write("lib.py", lib(1))
        h = self.start_events("-m", "lib", "lib.py")
        for n in range(2, 5):
            self.events.wait(n - 1)
            write(path, lib(n))
        events = self.events.wait(4)
        self.assertEqual([e["round"] for e in events], [1, 2, 3, 4])
        self.assertEqual([e["status"] for e in events],
                         ["ok", "ok", "failed", "failed"])
        with open(self.path(".events.jsonl"), "rb") as f:
            self.assertTrue(f.read().endswith(b"}\n"))
        self.assertEqual(len(h.wait_rounds(4)), 4)

    def test_the_place_is_in_the_user_s_code_not_the_library_s(self):
        # json.loads raises deep in the standard library: the place is the
        # user's call.
        path = self.write("lib.py", "import json\n\n"
                          "def parse():\n"
                          "    return json.loads('{oops')\n\n"
                          "parse()\n")
        self.start_events("--once", "-m", "lib", "lib.py")
        error = self.events.wait(1)[0]["steps"][0]["error"]
        self.assertEqual(error["type"], "json.decoder.JSONDecodeError")
        self.assertEqual((error["file"], error["line"]),
                         (path, line_of(path, "json.loads(")))

    def test_a_syntax_error_s_place_is_the_bad_line(self):
        path = self.write("lib.py", "x = 1\ny = (\n")
        self.start_events("--once", "-m", "lib", "lib.py")
        error = self.events.wait(1)[0]["steps"][0]["error"]
        self.assertEqual(error["type"], "SyntaxError")
        self.assertEqual(error["file"], path)
        self.assertEqual(error["line"], 2)

    def test_a_failing_hook_names_its_place(self):
        path = self.write("lib.py", "def main():\n"
                          "    return 1 / 0\n")
        self.start_events("--once", "-m", "lib", "--post-hook", "main",
                          "lib.py")
        step = self.events.wait(1)[0]["steps"][0]
        self.assertEqual(step["detail"], "post-hook main: ZeroDivisionError")
        self.assertEqual(step["error"]["line"], line_of(path, "1 / 0"))

    def test_a_watched_file_s_frame_comes_before_others(self):
        # lib.py calls into helper.py, which raises.
        helper = self.write("helper.py", "def boom():\n"
                            "    raise KeyError('k')\n")
        self.write("lib.py", "import helper\nhelper.boom()\n")
        h = self.start_events("--once", "-p", "-m", "lib", "lib.py")
        h.wait_err("the first round runs at the first change")
        write(self.path("lib.py"), "import helper\nhelper.boom()\n\n")
        error = self.events.wait(1)[0]["steps"][0]["error"]
        self.assertEqual((error["file"], error["line"]),
                         (self.path("lib.py"), 2))
        self.assertEqual(error["message"], "'k'")
        # Watching neither, the innermost frame of the code is the place.
        os.remove(self.path(".events.jsonl"))
        self.events = type(self.events)(self.events.path)
        self.write("other.txt", "")
        h = self.start_events("--once", "-p", "-m", "lib", "other.txt")
        h.wait_err("the first round runs at the first change")
        write(self.path("other.txt"), "x")
        error = self.events.wait(1)[0]["steps"][0]["error"]
        self.assertEqual((error["file"], error["line"]), (helper, 2))

    def test_a_restarted_round(self):
        path = self.write("lib.py", "import time\n"
                          "print('started', flush=True)\n"
                          "time.sleep(60)\n")
        h = self.start_events("--restart", "-m", "lib", "lib.py")
        h.wait_out("started")
        write(path, "print('quick')\n")
        events = self.events.wait(2)
        self.assertEqual([e["status"] for e in events[:2]],
                         ["restarted", "ok"])
        self.assertEqual(events[0]["steps"][0]["status"], "restarted")
        self.assertEqual(events[0]["steps"][0]["detail"],
                         "stopped for a change")

    def test_names_keep_their_exact_bytes(self):
        self.write("d/first.txt", "")
        names = [b"caf\xc3\xa9.txt", b"raw\xe9.txt", b"tab\tand\"quote.txt",
                 b"esc\x1b]0;x\x07.txt"]
        h = self.start_events("-r", "true", "d")
        self.events.wait(1)
        for name in names:
            with open(os.path.join(os.fsencode(self.path("d")), name),
                      "wb") as f:
                f.write(b"x")
        want = {b"d/" + n for n in names}

        def got():
            # A poll may see a file twice: made, then written.
            return {os.fsencode(n) for e in self.events.poll()
                    for n in e["changed"]}
        wait_until(lambda: got() >= want,
                   what=lambda: "all names in %r" % self.events.events)
        self.assertEqual(got(), want)
        with open(self.path(".events.jsonl"), "rb") as f:
            text = f.read()
        self.assertNotIn(b"\x1b", text)
        self.assertNotIn(b"\t", text)
        self.assertIn(b"raw\\udce9.txt", text)
        h.stop()

    def test_the_file_is_appended_to(self):
        self.write(".events.jsonl", '{"round": 9}\n')
        self.write("lib.py", lib(1))
        self.start_events("--once", "-m", "lib", "lib.py")
        events = self.events.wait(2)
        self.assertEqual([e["round"] for e in events], [9, 1])

    def test_a_file_removed_meanwhile_is_made_again(self):
        path = self.write("lib.py", lib(1))
        self.start_events("-m", "lib", "lib.py")
        self.events.wait(1)
        os.remove(self.path(".events.jsonl"))
        self.events.offset = 0
        write(path, lib(2))
        event = self.events.wait(2)[1]
        self.assertEqual(event["round"], 2)

    def test_stdout_is_a_usage_error(self):
        for bad in ("-", ""):
            status, out, err = self.run_hotload("--events", bad, "-r",
                                                "true", ".")
            self.assertEqual(status, 2)
            self.assertIn("--events '%s': give a file" % bad, err)

    def test_a_watched_events_file_is_a_usage_error(self):
        self.write("lib.py", lib(1))
        status, out, err = self.run_hotload("--events", "events.jsonl",
                                            "-r", "true", ".")
        self.assertEqual(status, 2)
        self.assertIn("the file is among the files watched", err)
        self.assertRegex(err, re.escape(self.path("events.jsonl")))

    def test_a_file_that_cannot_be_made_is_an_error(self):
        self.write("lib.py", lib(1))
        status, out, err = self.run_hotload("--events", "no/such/dir/e",
                                            "-r", "true", "lib.py")
        self.assertEqual(status, 1)
        self.assertIn("no/such/dir/e: No such file or directory", err)
