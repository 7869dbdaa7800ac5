"""What follows a save: after a reload, what still holds a module's old
functions, classes and instances runs the new code; --no-patch reloads
plainly, as importlib.reload does.

Most tests run `hotload -v -R -m lib lib.py mod.py`. lib.py keeps what the
first round made (with hotload.keep, or in modules hotload does not watch,
which are never reloaded), and each round prints a line
"EXPRESSION -> repr(value)" per check, then "end TAG", TAG being mod.TAG.
The test saves mod.py by rename, so that no round sees it half-written,
and reads the lines of the round that printed "end TAG".
"""

import re
import signal
import textwrap

from harness import (MODULE_DIR, PYTHON, Hotload, TestCase, clean_env,
                     wait_until, write_atomic)

# show(*expressions): print "expression -> repr(value)" for each, in the
# caller's globals, or "expression -> raised Error: message". One write a
# line, so that a thread's output does not cut into one.
SHOW = '''\
import sys


def show(*exprs):
    g = sys._getframe(1).f_globals
    for expr in exprs:
        try:
            value = repr(eval(expr, g))
        except Exception as e:
            value = "raised %s: %s" % (type(e).__name__, e)
        sys.stdout.write("%s -> %s\\n" % (expr, value))
    sys.stdout.flush()
'''

LIB_HEAD = "import hotload, mod\nfrom show import show\n"
LIB_TAIL = "print('end', mod.TAG, flush=True)\n"


def dedent(text):
    return textwrap.dedent(text).lstrip("\n")


def env():
    e = clean_env()
    e.pop("HOTLOAD_RECURSIVE", None)
    return e


class FollowTestCase(TestCase):
    """lib.py, the -m module, checks what mod.py's saves did."""

    def begin(self, mod, lib, *options, files=(), modules=None):
        """Write mod.py, lib.py (between LIB_HEAD and LIB_TAIL) and the
        unwatched modules (name: source), start hotload on lib.py, mod.py
        and files; return it and the first round's checks."""
        self.write("show.py", SHOW)
        for name, source in (modules or {}).items():
            self.write(name + ".py", dedent(source))
        self.write("mod.py", dedent(mod))
        self.write("lib.py", LIB_HEAD + dedent(lib) + LIB_TAIL)
        h = self.start("-v", "-R", *options, "-m", "lib", "lib.py", "mod.py",
                       *files, env=env())
        return h, self.checks(h, 1)

    def save(self, h, mod, tag):
        """Save mod.py; return the checks of the round that printed
        "end tag"."""
        rounds = len(h.rounds()) + 1
        write_atomic(self.path("mod.py"), dedent(mod))
        return self.checks(h, tag, rounds=rounds)

    def checks(self, h, tag, count=1, rounds=1):
        """{expression: what it gave} of the round that ended with the
        count-th "end tag", once the rounds-th status line is out (so that
        hotload's lines about that round are out too)."""
        end = re.compile(r"^end %s$" % tag, re.M)

        def ended():
            found = list(end.finditer(h.stdout()))
            return found[count - 1] if len(found) >= count else None
        m = wait_until(ended, what=lambda: "end %s x%d on stdout:\n%s\n"
                       "stderr:\n%s" % (tag, count, h.stdout(), h.stderr()))
        out = h.stdout()
        start = out.rfind("\nend ", 0, m.start())
        found = {}
        for line in out[start + 1:m.start()].splitlines():
            if " -> " in line:
                expr, _, value = line.partition(" -> ")
                found[expr] = value
        h.wait_rounds(rounds)
        return found

    def assertChecks(self, found, expected):
        """Each expression gave what expected says (a repr)."""
        self.assertEqual({e: found.get(e, "(not printed)") for e in expected},
                         expected)


BAZ = '''\
TAG = %(tag)d


class Baz:
    def bar(self, y):
        return y + %(bar)d


def foo(y):
    return y + %(foo)d
'''


class Module(FollowTestCase):

    def test_module_is_what_a_fresh_import_of_the_new_source_gives(self):
        mod = '''\
            """Version %(tag)d."""
            TAG = %(tag)d
            RATE = %(rate)d
            %(only)s = "only here"
            items = [%(tag)d]


            def foo(y):
                return y * RATE


            class Baz:
                kind = "v%(tag)d"
        '''
        lib = '''\
            import importlib.util


            def fresh():
                spec = importlib.util.spec_from_file_location(
                    "fresh_mod", mod.__file__)
                module = importlib.util.module_from_spec(spec)
                spec.loader.exec_module(module)
                return module


            def snapshot(m):
                found = {}
                for key, value in vars(m).items():
                    if key.startswith("__") and key != "__doc__":
                        continue
                    if isinstance(value, type):
                        value = ("class", value.kind)
                    elif callable(value):
                        value = ("function", value(2))
                    found[key] = value
                return found


            show("sorted(snapshot(mod).items())",
                 "snapshot(mod) == snapshot(fresh())")
        '''
        h, found = self.begin(mod % dict(tag=1, rate=3, only="OLD"), lib)
        self.assertEqual(found["snapshot(mod) == snapshot(fresh())"], "True")
        found = self.save(h, mod % dict(tag=2, rate=4, only="NEW"), 2)
        self.assertEqual(found["snapshot(mod) == snapshot(fresh())"], "True",
                         found)
        self.assertEqual(found["sorted(snapshot(mod).items())"], repr(sorted({
            "__doc__": "Version 2.", "TAG": 2, "RATE": 4, "NEW": "only here",
            "items": [2], "foo": ("function", 8),
            "Baz": ("class", "v2")}.items())))


class Functions(FollowTestCase):

    def test_what_holds_an_old_function_calls_the_new_code(self):
        mod = '''\
            import functools

            TAG = %(tag)d


            def foo(y):
                return y + %(n)d


            def twice(fn):
                @functools.wraps(fn)
                def wrapper(y):
                    return 2 * fn(y)
                return wrapper


            @twice
            def decorated(y):
                """Version %(tag)d."""
                return y + %(n)d


            @functools.lru_cache(maxsize=None)
            def cached(y):
                return y + 100 * %(n)d
        '''
        # user.py and registry.py are not watched: hotload never runs
        # them again.
        modules = {
            "registry": "callbacks = []\n",
            "user": '''\
                from mod import foo


                def call(y, fn=foo):
                    return fn(y)
            ''',
        }
        lib = '''\
            import registry
            import user
            old = hotload.keep("old", dict, foo=mod.foo,
                               decorated=mod.decorated, cached=mod.cached)
            if not registry.callbacks:
                registry.callbacks.append(mod.foo)
            first = hotload.keep("first", mod.cached, 1)
            show("old['foo'](0)", "old['foo'] is mod.foo", "user.foo(0)",
                 "user.foo is mod.foo", "user.call(0)",
                 "registry.callbacks[0](0)", "old['decorated'](0)",
                 "old['decorated'] is mod.decorated",
                 "old['decorated'].__doc__",
                 "old['decorated'].__wrapped__ is mod.decorated.__wrapped__",
                 "old['cached'](1)", "old['cached'] is mod.cached",
                 "mod.cached.cache_info().currsize")
        '''
        h, found = self.begin(mod % dict(tag=1, n=3), lib, modules=modules)
        self.assertChecks(found, {
            "old['foo'](0)": "3", "user.call(0)": "3",
            "old['decorated'](0)": "6", "old['cached'](1)": "301"})
        found = self.save(h, mod % dict(tag=2, n=4), 2)
        self.assertChecks(found, {
            "old['foo'](0)": "4", "old['foo'] is mod.foo": "True",
            "user.foo(0)": "4", "user.foo is mod.foo": "True",
            "user.call(0)": "4", "registry.callbacks[0](0)": "4",
            "old['decorated'](0)": "8",
            "old['decorated'] is mod.decorated": "True",
            "old['decorated'].__doc__": "'Version 2.'",
            "old['decorated'].__wrapped__ is mod.decorated.__wrapped__":
                "True",
            # The old cache (301 for 1) was cleared: 401 is computed anew.
            "old['cached'](1)": "401", "old['cached'] is mod.cached": "True",
            "mod.cached.cache_info().currsize": "1"})
        h.wait_err("hotload: mod: 3 functions patched\n")

    def test_a_running_thread_calls_the_new_code_and_never_fails(self):
        # The thread calls the function it took at start and the module's,
        # which reads a global of the module, all through the reload.
        mod = '''\
            TAG = %(tag)d
            RATE = %(n)d


            def foo(y):
                return y + RATE
        '''
        modules = {"worker": '''\
            import sys
            import threading
            import time

            import mod


            def start():
                fn = mod.foo

                def loop():
                    last = None
                    while True:
                        try:
                            now = (fn(0), mod.foo(0))
                        except Exception as e:
                            now = "error %s: %s" % (type(e).__name__, e)
                        if now != last:
                            sys.stdout.write("thread %s\\n" % (now,))
                            sys.stdout.flush()
                            last = now
                        time.sleep(0.0005)
                threading.Thread(target=loop, daemon=True).start()
                return fn
        '''}
        lib = '''\
            import worker
            fn = hotload.keep("thread", worker.start)
            show("fn is mod.foo")
        '''
        h, found = self.begin(mod % dict(tag=1, n=3), lib, modules=modules)
        h.wait_out("thread (3, 3)\n")
        for n in range(4, 9):
            found = self.save(h, mod % dict(tag=n - 2, n=n), n - 2)
            self.assertEqual(found["fn is mod.foo"], "True")
            h.wait_out("thread (%d, %d)\n" % (n, n))
        self.assertNotIn("error", h.stdout())

    def test_a_closure_with_new_free_variables_is_replaced(self):
        # inner() now uses another variable of its enclosing function: its
        # code cannot go into the old function. Kid.hi starts to call
        # super(): the class holds the new function, for old and new
        # instances alike.
        mod = '''\
            TAG = %(tag)d


            def make():
                a, b = 1, 2

                def inner():
                    return %(var)s
                return inner


            inner = make()


            class Base:
                def hi(self):
                    return "base"


            class Kid(Base):
                def hi(self):
                    return %(hi)s
        '''
        lib = '''\
            old = hotload.keep("inner", lambda: mod.inner)
            kid = hotload.keep("kid", mod.Kid)
            show("old()", "mod.inner()", "old is mod.inner", "kid.hi()",
                 "mod.Kid().hi()", "isinstance(kid, mod.Kid)")
        '''
        h, found = self.begin(mod % dict(tag=1, var="a", hi="'kid'"), lib)
        self.assertChecks(found, {"old()": "1", "kid.hi()": "'kid'"})
        found = self.save(h, mod % dict(tag=2, var="b",
                                        hi="'kid+' + super().hi()"), 2)
        self.assertChecks(found, {
            "old()": "1", "mod.inner()": "2", "old is mod.inner": "False",
            "kid.hi()": "'kid+base'", "mod.Kid().hi()": "'kid+base'",
            "isinstance(kid, mod.Kid)": "True"})
        h.wait_err("inner replaced (its free variables changed)")
        h.wait_err("Kid.hi replaced (it now calls super())")
        self.assertNotIn("Traceback", h.stderr())

    def test_the_users_own_importlib_reload_patches(self):
        # The idiom of reloading a dependency at the top of the module,
        # without -R.
        self.write("show.py", SHOW)
        self.write("mod.py", BAZ % dict(tag=1, bar=10, foo=3))
        self.write("lib.py", LIB_HEAD + dedent('''\
            import importlib
            importlib.reload(mod)
            b = hotload.keep("b", mod.Baz)
            f = hotload.keep("f", lambda: mod.foo)
            show("b.bar(1), mod.Baz().bar(1), f(0), mod.foo(0)",
                 "isinstance(b, mod.Baz)")
        ''') + LIB_TAIL)
        h = self.start("-v", "-m", "lib", "lib.py", "mod.py", env=env())
        self.checks(h, 1)
        found = self.save(h, BAZ % dict(tag=2, bar=11, foo=4), 2)
        self.assertChecks(found, {
            "b.bar(1), mod.Baz().bar(1), f(0), mod.foo(0)": "(12, 12, 4, 4)",
            "isinstance(b, mod.Baz)": "True"})
        h.wait_err("hotload: mod: 1 function and 1 class patched\n")


CLASSES = '''\
import dataclasses
import enum

TAG = %(tag)d


class Baz:
    kind = "v%(tag)d"

    def bar(self, y):
        return y + %(bar)d
%(methods)s
    @property
    def prop(self):
        return "prop%(tag)d"

    @classmethod
    def cm(cls):
        return "cm%(tag)d " + cls.__name__

    @staticmethod
    def sm():
        return "sm%(tag)d"


class Base:
    def hi(self):
        return "base"


class Kid(Base):
    def hi(self):
        return "kid%(tag)d " + super().hi()


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0%(field)s


class Color(enum.Enum):
    RED = 1
    GREEN = 2

    def describe(self):
        return "%(tag)d " + self.name.lower()
'''

OLD_METHODS = '''
    def gone(self):
        return "gone"
'''

NEW_METHODS = '''
    def added(self):
        return "added"
'''


class Classes(FollowTestCase):

    def test_old_instances_follow_their_class(self):
        # sub.py, not watched, subclasses mod.Baz.
        modules = {"sub": '''\
            import mod


            class Sub(mod.Baz):
                def bar(self, y):
                    return super().bar(y) * 100
        '''}
        lib = '''\
            import dataclasses
            import pickle
            import sub
            b = hotload.keep("b", mod.Baz)
            s = hotload.keep("s", sub.Sub)
            k = hotload.keep("k", mod.Kid)
            p = hotload.keep("p", mod.Point, 1, 2)
            red = hotload.keep("red", lambda: mod.Color.RED)
            show("b.bar(1)", "mod.Baz().bar(1)", "b.kind", "b.prop", "b.cm()",
                 "b.sm()", "b.added()", "hasattr(b, 'gone')",
                 "isinstance(b, mod.Baz)", "type(b) is mod.Baz",
                 "pickle.loads(pickle.dumps(b)).bar(1)",
                 "s.bar(1)", "sub.Sub().bar(1)",
                 "issubclass(sub.Sub, mod.Baz)", "k.hi()", "mod.Kid().hi()",
                 "[f.name for f in dataclasses.fields(mod.Point)]",
                 "p", "mod.Point(1, 2, 3)", "isinstance(p, mod.Point)",
                 "red is mod.Color.RED", "mod.Color(1) is red",
                 "red.describe()")
        '''
        h, found = self.begin(CLASSES % dict(tag=1, bar=10, field="",
                                             methods=OLD_METHODS), lib,
                              modules=modules)
        self.assertChecks(found, {
            "b.bar(1)": "11", "s.bar(1)": "1100", "k.hi()": "'kid1 base'",
            "p": "Point(x=1, y=2)", "hasattr(b, 'gone')": "True"})
        found = self.save(h, CLASSES % dict(
            tag=2, bar=11, field="\n    z: int = 5", methods=NEW_METHODS), 2)
        self.assertChecks(found, {
            "b.bar(1)": "12", "mod.Baz().bar(1)": "12", "b.kind": "'v2'",
            "b.prop": "'prop2'", "b.cm()": "'cm2 Baz'", "b.sm()": "'sm2'",
            "b.added()": "'added'", "hasattr(b, 'gone')": "False",
            "isinstance(b, mod.Baz)": "True", "type(b) is mod.Baz": "True",
            "pickle.loads(pickle.dumps(b)).bar(1)": "12",
            "s.bar(1)": "1200", "sub.Sub().bar(1)": "1200",
            "issubclass(sub.Sub, mod.Baz)": "True",
            "k.hi()": "'kid2 base'", "mod.Kid().hi()": "'kid2 base'",
            "[f.name for f in dataclasses.fields(mod.Point)]":
                "['x', 'y', 'z']",
            "p": "Point(x=1, y=2, z=5)",
            "mod.Point(1, 2, 3)": "Point(x=1, y=2, z=3)",
            "isinstance(p, mod.Point)": "True",
            "red is mod.Color.RED": "True", "mod.Color(1) is red": "True",
            "red.describe()": "'2 red'"})
        self.assertNotIn("replaced", h.stderr())

    def test_a_class_with_new_slots_or_metaclass_is_replaced(self):
        mod = '''\
            TAG = %(tag)d


            class Greeter:
                __slots__ = %(slots)s

                def __init__(self):
                    self.name = "g"

                def hi(self):
                    return "hi%(tag)d " + self.name


            class Meta(type):
                pass


            class Plain%(meta)s:
                def f(self):
                    return "plain%(tag)d"
        '''
        lib = '''\
            g = hotload.keep("g", mod.Greeter)
            pl = hotload.keep("pl", mod.Plain)
            show("g.hi()", "mod.Greeter().hi()", "isinstance(g, mod.Greeter)",
                 "pl.f()", "mod.Plain().f()", "isinstance(pl, mod.Plain)",
                 "type(mod.Plain).__name__")
        '''
        h, found = self.begin(mod % dict(tag=1, slots="('name',)", meta=""),
                              lib)
        self.assertChecks(found, {"g.hi()": "'hi1 g'", "pl.f()": "'plain1'"})
        found = self.save(h, mod % dict(tag=2, slots="('name', 'mood')",
                                        meta="(metaclass=Meta)"), 2)
        self.assertChecks(found, {
            "g.hi()": "'hi1 g'", "mod.Greeter().hi()": "'hi2 g'",
            "isinstance(g, mod.Greeter)": "False",
            "pl.f()": "'plain1'", "mod.Plain().f()": "'plain2'",
            "isinstance(pl, mod.Plain)": "False",
            "type(mod.Plain).__name__": "'Meta'"})
        h.wait_err("Greeter replaced (its __slots__ changed)")
        h.wait_err("Plain replaced (its metaclass changed)")
        self.assertNotIn("Traceback", h.stderr())


class Failures(FollowTestCase):

    def test_a_failed_reload_patches_nothing_and_the_next_good_one_does(self):
        # A save of poke.txt runs a round that reloads lib, not mod: it
        # shows what a failed reload left.
        mod = '''\
            TAG = %(tag)d


            def foo(y):
                return y + %(n)d


            class Baz:
                def bar(self, y):
                    return y + %(n)d
            %(tail)s
        '''
        lib = '''\
            f = hotload.keep("f", lambda: mod.foo)
            b = hotload.keep("b", mod.Baz)
            show("f(0), mod.foo(0), b.bar(0), mod.Baz().bar(0)",
                 "f is mod.foo", "isinstance(b, mod.Baz)", "hotload.reloads")
        '''
        self.write("poke.txt", "0")
        h, found = self.begin(mod % dict(tag=1, n=3, tail=""), lib,
                              files=("poke.txt",))
        bad = [("a syntax error", "def (:", "SyntaxError: "),
               ("an exception halfway", "raise RuntimeError('halfway')",
                "RuntimeError: halfway")]
        for i, (what, tail, error) in enumerate(bad):
            with self.subTest(what):
                rounds = len(h.rounds())
                write_atomic(self.path("mod.py"),
                             dedent(mod % dict(tag=9, n=5, tail=tail)))
                h.wait_rounds(rounds + 1)
                self.assertEqual(h.rounds()[rounds][1], "failed")
                err = h.stderr()
                self.assertEqual(err.count(error), 1, err)  # printed once
                self.assertNotIn("patched", err)
                write_atomic(self.path("poke.txt"), str(i + 1))
                h.wait_rounds(rounds + 2)
                found = self.checks(h, 1, count=i + 2, rounds=rounds + 2)
                self.assertChecks(found, {
                    "f(0), mod.foo(0), b.bar(0), mod.Baz().bar(0)":
                        "(3, 3, 3, 3)",
                    "f is mod.foo": "True", "isinstance(b, mod.Baz)": "True",
                    "hotload.reloads": str(2 * i + 2)})
                self.assertEqual(h.stderr().count(error), 1, h.stderr())
        found = self.save(h, mod % dict(tag=2, n=4, tail=""), 2)
        self.assertChecks(found, {
            "f(0), mod.foo(0), b.bar(0), mod.Baz().bar(0)": "(4, 4, 4, 4)",
            "f is mod.foo": "True", "isinstance(b, mod.Baz)": "True"})
        h.wait_err("hotload: mod: 1 function and 1 class patched\n")


class Verbose(FollowTestCase):

    def test_verbose_says_per_reload_what_was_patched_and_replaced(self):
        mod = '''\
            TAG = %(tag)d
            %(y)s


            def foo():
                return %(tag)d


            def bar():
                return -%(tag)d


            def same():
                return 0


            class Baz:
                def m(self):
                    return %(tag)d


            class Greeter:
                __slots__ = %(slots)s
        '''
        lib = 'show("mod.foo(), mod.bar(), mod.Baz().m()")\n'
        h, _ = self.begin(mod % dict(tag=1, y="y = 4", slots="()"), lib)
        found = self.save(h, mod % dict(tag=2, y="", slots="('name',)"), 2)
        self.assertEqual(found["mod.foo(), mod.bar(), mod.Baz().m()"],
                         "(2, -2, 2)")
        lines = [line for line in h.stderr().splitlines()
                 if line.startswith("hotload: mod:")]
        self.assertEqual(lines, [
            "hotload: mod: 2 functions and 1 class patched; "
            "Greeter replaced (its __slots__ changed); y removed"])
        # A reload that changes nothing says nothing; lib never does.
        found = self.save(h, (mod % dict(tag=2, y="", slots="('name',)"))
                          .replace("TAG = 2", "TAG = 3"), 3)
        self.assertEqual(len([line for line in h.stderr().splitlines()
                              if line.startswith("hotload: mod:")]), 1)
        self.assertNotIn("hotload: lib:", h.stderr())


class Names(FollowTestCase):

    def test_a_deleted_name_is_gone_and_names_set_at_run_time_stay(self):
        mod = '''\
            TAG = %(tag)d
            x = 3
            %(y)s
            total = %(total)s
            globals()["dynamic"] = "set through globals()"


            def setup():
                global by_function
                by_function = "set by a global statement"


            setup()

            try:
                conn
            except NameError:
                conn = object()

            try:
                answer = answer
            except NameError:
                answer = [42]
        '''
        lib = '''\
            first = hotload.keep("first", lambda: (mod.conn, mod.answer))
            show("mod.total", "hasattr(mod, 'y')", "mod.dynamic",
                 "mod.by_function", "mod.conn is first[0]",
                 "mod.answer is first[1]")
        '''
        v1 = dict(tag=1, y="y = 4", total="x * x + y * y")
        h, found = self.begin(mod % v1, lib)
        self.assertChecks(found, {"mod.total": "25",
                                  "hasattr(mod, 'y')": "True"})
        # y = 4 deleted while total still reads y: a NameError, as a fresh
        # start would give, at this save.
        rounds = len(h.rounds())
        write_atomic(self.path("mod.py"),
                     dedent(mod % dict(v1, tag=2, y="")))
        h.wait_rounds(rounds + 1)
        self.assertEqual(h.rounds()[rounds][1], "failed")
        self.assertIn("NameError: name 'y' is not defined", h.stderr())
        # The save without setup() and the globals() line: what they set
        # stays; conn and answer are the first run's.
        found = self.save(h, (mod % dict(tag=3, y="", total="x * x"))
                          .replace('globals()["dynamic"]', "# ")
                          .replace("setup()\n", "\n"), 3)
        self.assertChecks(found, {
            "mod.total": "9", "hasattr(mod, 'y')": "False",
            "mod.dynamic": "'set through globals()'",
            "mod.by_function": "'set by a global statement'",
            "mod.conn is first[0]": "True", "mod.answer is first[1]": "True"})
        h.wait_err("y removed")

    def test_the_quick_start_fails_when_y_is_deleted(self):
        # examples/quickstart/lib.py, with its y = 4 deleted and saved.
        lib = self.write("lib.py", "x = 3\ny = 4\n\nprint(x * x + y * y)\n")
        h = self.start("-m", "lib", "lib.py", env=env())
        h.wait_out("25\n")
        h.wait_rounds(1)
        write_atomic(lib, "x = 3\n\nprint(x * x + y * y)\n")
        self.assertEqual(h.wait_rounds(2)[1], (2, "failed"))
        self.assertIn("NameError: name 'y' is not defined", h.stderr())
        write_atomic(lib, "x = 4\ny = 4\n\nprint(x * x + y * y)\n")
        h.wait_out("32\n")
        self.assertEqual(h.stdout(), "25\n32\n")


class Generators(FollowTestCase):

    def test_a_running_generator_keeps_its_frame(self):
        mod = '''\
            TAG = %(tag)d


            def counter():
                n = 0
                while True:
                    n += 1
                    yield "v%(tag)d-%%d" %% n
        '''
        lib = '''\
            gen = hotload.keep("gen", mod.counter)
            old = hotload.keep("counter", lambda: mod.counter)
            show("next(gen)", "next(old())", "old is mod.counter")
        '''
        h, found = self.begin(mod % dict(tag=1), lib)
        self.assertChecks(found, {"next(gen)": "'v1-1'"})
        found = self.save(h, mod % dict(tag=2), 2)
        # The running generator goes on in its old frame; a new one, from
        # the old function too, runs the new code.
        self.assertChecks(found, {"next(gen)": "'v1-2'",
                                  "next(old())": "'v2-1'",
                                  "old is mod.counter": "True"})


class NoPatch(FollowTestCase):

    def test_no_patch_reloads_plainly(self):
        lib = '''\
            import pickle
            b = hotload.keep("b", mod.Baz)
            f = hotload.keep("f", lambda: mod.foo)
            show("b.bar(1), mod.Baz().bar(1), f(0), mod.foo(0)",
                 "isinstance(b, mod.Baz)", "f is mod.foo", "pickle.dumps(b)",
                 "mod.OLD")
        '''
        h, found = self.begin(BAZ % dict(tag=1, bar=10, foo=3) +
                              "OLD = 'old'\n", lib, "--no-patch")
        found = self.save(h, BAZ % dict(tag=2, bar=11, foo=4), 2)
        self.assertChecks(found, {
            "b.bar(1), mod.Baz().bar(1), f(0), mod.foo(0)": "(11, 12, 3, 4)",
            "isinstance(b, mod.Baz)": "False", "f is mod.foo": "False",
            "mod.OLD": "'old'"})
        self.assertTrue(found["pickle.dumps(b)"].startswith(
            "raised PicklingError"), found)
        self.assertNotIn("patched", h.stderr())
        self.assertNotIn("removed", h.stderr())


class Repl(TestCase):
    """--repl: what was made at the prompt follows the saves."""

    PROMPT = ">>> "

    def test_objects_made_at_the_prompt_follow_a_save(self):
        for options, expect in (((), "(12, 12, 4, 4, True)"),
                                (("--no-patch",), "(11, 12, 3, 4, False)")):
            with self.subTest(options=options):
                self.write("mod.py", BAZ % dict(tag=1, bar=10, foo=3))
                h = self.start("--repl", *options, "-m", "mod", "mod.py",
                               tty=True,
                               env=clean_env(HOME=self.dir, TERM="xterm"))
                h.wait_out(self.PROMPT)
                h.enter("b = Baz(); f = foo", self.PROMPT)
                write_atomic(self.path("mod.py"),
                             BAZ % dict(tag=2, bar=11, foo=4))
                self.assertEqual(h.wait_rounds(2)[-1], (2, "ok"))
                h.enter("b.bar(1), Baz().bar(1), f(0), foo(0), "
                           "isinstance(b, Baz)", expect + "\r\n")
                self.assertNotIn("patched", h.stdout())  # only with -v
                h.type(b"exit()\r")
                self.assertEqual(h.wait_exit(), 0)


class Api(TestCase):
    """hotload.hotload() from a script: ReloadModules and
    ReloadedPythonModule patch; patch=False reloads plainly."""

    LAUNCH = '''\
import hotload

hotload.hotload(watch=[["lib.py", "mod.py"]], steps=[%s])
'''

    def test_steps_patch_unless_told_not_to(self):
        lib = LIB_HEAD + dedent('''\
            b = hotload.keep("b", mod.Baz)
            f = hotload.keep("f", lambda: mod.foo)
            show("b.bar(1), mod.Baz().bar(1), f(0), mod.foo(0)")
        ''') + LIB_TAIL
        cases = (
            ('hotload.ReloadModules(), '
             'hotload.ReloadedPythonModule("lib")', "(12, 12, 4, 4)"),
            ('hotload.ReloadedPythonModule("mod"), '
             'hotload.ReloadedPythonModule("lib")', "(12, 12, 4, 4)"),
            ('hotload.ReloadedPythonModule("mod", patch=False), '
             'hotload.ReloadedPythonModule("lib")', "(11, 12, 3, 4)"),
        )
        for steps, expect in cases:
            with self.subTest(steps=steps):
                self.write("show.py", SHOW)
                self.write("mod.py", BAZ % dict(tag=1, bar=10, foo=3))
                self.write("lib.py", lib)
                self.write("launch.py", self.LAUNCH % steps)
                e = clean_env(PYTHONPATH=MODULE_DIR)
                e.pop("HOTLOAD_RECURSIVE", None)
                h = Hotload([], cwd=self.dir, env=e,
                            argv=[PYTHON, "launch.py"])
                self.procs.append(h)
                h.wait_out("end 1\n")
                h.wait_rounds(1)
                write_atomic(self.path("mod.py"),
                             BAZ % dict(tag=2, bar=11, foo=4))
                h.wait_out("end 2\n")
                self.assertIn(
                    "b.bar(1), mod.Baz().bar(1), f(0), mod.foo(0) -> %s\n"
                    % expect, h.stdout())
                self.assertEqual(h.stop(signal.SIGINT), 0, h.stderr())
