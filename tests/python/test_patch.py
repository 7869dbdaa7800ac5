# Unit tests of src/py/patch.py: each test writes a module, imports it, keeps
# references to what it made, rewrites its source, reloads it with
# patch.reload and checks what the old references do now.
import builtins
import dataclasses
import importlib
import os
import pickle
import shutil
import sys
import tempfile
import textwrap
import threading
import unittest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "..", "src", "py"))
import patch  # noqa: E402


class ModuleTest(unittest.TestCase):
    """Writes modules in a directory of its own and imports them."""

    count = 0

    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="patch-test-")
        sys.path.insert(0, self.dir)
        self.addCleanup(shutil.rmtree, self.dir, True)
        self.addCleanup(sys.path.remove, self.dir)
        self.addCleanup(setattr, sys, "dont_write_bytecode",
                        sys.dont_write_bytecode)
        sys.dont_write_bytecode = True
        self.names = []
        self.addCleanup(self.unload)

    def unload(self):
        for name in self.names:
            sys.modules.pop(name, None)
            patch.forget(name)

    def write(self, name, source):
        with open(os.path.join(self.dir, name + ".py"), "w") as f:
            f.write(textwrap.dedent(source))

    def load(self, source, name=None, track=True):
        """Write source as a new module and import it."""
        if name is None:
            ModuleTest.count += 1
            name = "patchmod%d" % ModuleTest.count
        self.names.append(name)
        self.write(name, source)
        importlib.invalidate_caches()
        module = importlib.import_module(name)
        if track:
            patch.track(module)
        return module

    def reload(self, module, source, **kwds):
        """Rewrite module's source and reload it, patching."""
        self.write(module.__name__, source)
        result, report = patch.reload(module, **kwds)
        self.assertIs(result, module)
        self.assertIs(builtins.__build_class__, _build_class)
        return report


_build_class = builtins.__build_class__


class TestFunctions(ModuleTest):

    def test_old_function_runs_new_code_and_stays_the_modules(self):
        m = self.load("def foo(y):\n    return y + 3\n")
        f = m.foo
        report = self.reload(m, "def foo(y):\n    return y + 4\n")
        self.assertEqual((f(0), m.foo(0)), (4, 4))
        self.assertIs(m.foo, f)
        self.assertEqual(report.functions, ["foo"])
        self.assertEqual(report.summary("lib"), "lib: 1 function patched")

    def test_from_import_copy_in_another_module_follows(self):
        lib = self.load("def foo():\n    return 1\n")
        user = self.load("from %s import foo\n" % lib.__name__)
        self.reload(lib, "def foo():\n    return 2\n")
        self.assertEqual(user.foo(), 2)

    def test_defaults_doc_annotations_and_attributes_are_the_new_ones(self):
        m = self.load("""
            def f(a=1, *, b=2) -> int:
                "old"
                return a + b
            f.tag = "old"
        """)
        f = m.f
        self.reload(m, """
            def f(a=10, *, b=20) -> str:
                "new"
                return a + b
            f.tag = "new"
        """)
        self.assertEqual(f(), 30)
        self.assertEqual(f.__doc__, "new")
        self.assertEqual(f.__annotations__, {"return": str})
        self.assertEqual(f.tag, "new")

    def test_registry_and_default_argument_follow(self):
        m = self.load("""
            def handler():
                return "old"
            def call(cb=handler):
                return cb()
        """)
        registry = [m.handler]
        call = m.call
        self.reload(m, """
            def handler():
                return "new"
            def call(cb=handler):
                return "via " + cb()
        """)
        self.assertEqual(registry[0](), "new")
        self.assertEqual(call(), "via new")

    def test_aliases_stay_one_object(self):
        m = self.load("def f():\n    return 1\ng = f\n")
        f = m.f
        self.reload(m, "def f():\n    return 2\ng = f\n")
        self.assertIs(m.g, m.f)
        self.assertIs(m.f, f)
        self.assertEqual(f(), 2)

    def test_decorated_function_follows_through_wrapped(self):
        m = self.load("""
            import functools
            def deco(times):
                def wrap(fn):
                    @functools.wraps(fn)
                    def wrapper(*a):
                        return [fn(*a) for _ in range(times)]
                    return wrapper
                return wrap
            @deco(1)
            def f(x):
                return x
        """)
        f, inner = m.f, m.f.__wrapped__
        self.reload(m, """
            import functools
            def deco(times):
                def wrap(fn):
                    @functools.wraps(fn)
                    def wrapper(*a):
                        return [fn(*a) for _ in range(times)]
                    return wrapper
                return wrap
            @deco(2)
            def f(x):
                return x * 10
        """)
        self.assertIs(m.f, f)
        self.assertIs(m.f.__wrapped__, inner)
        self.assertEqual(f(1), [10, 10])
        self.assertEqual(inner(1), 10)

    def test_wrapper_made_in_another_module_follows(self):
        m = self.load("""
            import contextlib
            @contextlib.contextmanager
            def ctx():
                yield 1
        """)
        ctx = m.ctx
        self.reload(m, """
            import contextlib
            @contextlib.contextmanager
            def ctx():
                yield 2
        """)
        with ctx() as value:
            self.assertEqual(value, 2)

    def test_lru_cache_is_cleared_and_kept(self):
        m = self.load("""
            import functools
            @functools.lru_cache(maxsize=None)
            def sq(x):
                return x * x
        """)
        sq = m.sq
        self.assertEqual(sq(3), 9)
        report = self.reload(m, """
            import functools
            @functools.lru_cache(maxsize=None)
            def sq(x):
                return x * x + 1
        """)
        self.assertIs(m.sq, sq)
        self.assertEqual(sq(3), 10)
        self.assertEqual(report.functions, ["sq"])

    def test_closure_with_new_free_variables_is_replaced(self):
        m = self.load("""
            def make():
                a, b = 1, 2
                def f():
                    return a
                return f
            f = make()
        """)
        f = m.f
        report = self.reload(m, """
            def make():
                a, b = 1, 2
                def f():
                    return b
                return f
            f = make()
        """)
        self.assertEqual(f(), 1)  # old code, old cells: nothing broken
        self.assertEqual(m.f(), 2)
        self.assertEqual(report.replaced,
                         [("f", "its free variables changed")])
        self.assertEqual(report.summary("lib"), "lib: 1 function patched; "
                         "f replaced (its free variables changed)")

    def test_closure_values_are_the_new_ones(self):
        m = self.load("""
            def make(n):
                def f():
                    return n
                return f
            f = make(1)
        """)
        f = m.f
        self.reload(m, """
            def make(n):
                def f():
                    return n
                return f
            f = make(2)
        """)
        self.assertIs(m.f, f)
        self.assertEqual(f(), 2)

    def test_running_generator_keeps_its_frame(self):
        m = self.load("""
            def gen():
                yield 1
                yield 2
        """)
        g = m.gen()
        self.assertEqual(next(g), 1)
        self.reload(m, """
            def gen():
                yield 10
                yield 20
        """)
        self.assertEqual(next(g), 2)
        self.assertEqual(list(m.gen()), [10, 20])

    def test_another_modules_function_is_left_alone(self):
        m = self.load("from os.path import join\n")
        join = m.join
        report = self.reload(m, "from os.path import join\n")
        self.assertIs(m.join, join)
        self.assertIsNone(report.summary("lib"))


class TestClasses(ModuleTest):

    def test_old_instance_runs_new_methods(self):
        m = self.load("""
            class Baz:
                def bar(self, y):
                    return y + 10
        """)
        b, Baz = m.Baz(), m.Baz
        report = self.reload(m, """
            class Baz:
                def bar(self, y):
                    return y + 11
        """)
        self.assertIs(m.Baz, Baz)
        self.assertEqual((b.bar(1), m.Baz().bar(1)), (12, 12))
        self.assertIsInstance(b, m.Baz)
        self.assertEqual(report.classes, ["Baz"])
        self.assertEqual(report.summary("lib"), "lib: 1 class patched")

    def test_method_held_before_the_reload_follows(self):
        m = self.load("class C:\n    def f(self):\n        return 1\n")
        c = m.C()
        bound, plain = c.f, m.C.f
        self.reload(m, "class C:\n    def f(self):\n        return 2\n")
        self.assertEqual((bound(), plain(c)), (2, 2))
        self.assertIs(m.C.__dict__["f"], plain)

    def test_added_and_removed_methods_and_attributes(self):
        m = self.load("""
            class C:
                x = 1
                def gone(self):
                    return 0
        """)
        c = m.C()
        self.reload(m, """
            class C:
                y = 2
                def new(self):
                    return self.y
        """)
        self.assertEqual(c.new(), 2)
        self.assertFalse(hasattr(c, "gone"))
        self.assertFalse(hasattr(m.C, "x"))

    def test_attribute_set_at_run_time_is_kept(self):
        m = self.load("class C:\n    a = 1\n    b = 1\n")
        m.C.cache = {"k": 1}
        self.reload(m, "class C:\n    a = 2\n    b = 1\n")
        self.reload(m, "class C:\n    a = 3\n")
        self.assertEqual(m.C.cache, {"k": 1})
        self.assertEqual(m.C.a, 3)
        self.assertFalse(hasattr(m.C, "b"))

    def test_property_classmethod_and_staticmethod(self):
        m = self.load("""
            class C:
                @property
                def p(self):
                    return 1
                @classmethod
                def c(cls):
                    return 1
                @staticmethod
                def s():
                    return 1
        """)
        obj, cm = m.C(), m.C.c
        self.reload(m, """
            class C:
                @property
                def p(self):
                    return 2
                @p.setter
                def p(self, value):
                    self.v = value
                @classmethod
                def c(cls):
                    return 2
                @staticmethod
                def s():
                    return 2
        """)
        self.assertEqual((obj.p, cm(), m.C.c(), m.C.s()), (2, 2, 2, 2))
        obj.p = 5
        self.assertEqual(obj.v, 5)

    def test_pickle_of_an_old_instance(self):
        m = self.load("class P:\n    def __init__(self):\n"
                      "        self.a = 1\n")
        p = m.P()
        self.reload(m, "class P:\n    def __init__(self):\n"
                    "        self.a = 2\n"
                    "    def twice(self):\n        return self.a * 2\n")
        q = pickle.loads(pickle.dumps(p))
        self.assertIs(type(q), m.P)
        self.assertEqual(q.twice(), 2)

    def test_super_in_patched_and_newly_added_methods(self):
        m = self.load("""
            class Base:
                def hi(self):
                    return "base"
                def plain(self):
                    return "b"
            class Sub(Base):
                def hi(self):
                    return "sub+" + super().hi()
                def plain(self):
                    return "s"
        """)
        old = m.Sub()
        report = self.reload(m, """
            class Base:
                def hi(self):
                    return "BASE"
                def plain(self):
                    return "b"
            class Sub(Base):
                def hi(self):
                    return "SUB+" + super().hi()
                def plain(self):
                    return "s+" + super().plain()
                def added(self):
                    return super().hi()
        """)
        for obj in (old, m.Sub()):
            self.assertEqual(obj.hi(), "SUB+BASE")
            self.assertEqual(obj.plain(), "s+b")
            self.assertEqual(obj.added(), "BASE")
        self.assertIn(("Sub.plain", "it now calls super()"), report.replaced)

    def test_subclass_in_another_module_follows(self):
        m = self.load("class Base:\n    def who(self):\n        return 1\n")
        other = self.load("from %s import Base\nclass Sub(Base):\n    pass\n"
                          % m.__name__)
        self.reload(m, "class Base:\n    def who(self):\n        return 2\n")
        self.assertEqual(other.Sub().who(), 2)
        self.assertTrue(issubclass(other.Sub, m.Base))

    def test_nested_classes(self):
        m = self.load("""
            class Outer:
                class Inner:
                    def f(self):
                        return 1
        """)
        inner = m.Outer.Inner()
        Inner = m.Outer.Inner
        self.reload(m, """
            class Outer:
                class Inner:
                    def f(self):
                        return 2
        """)
        self.assertIs(m.Outer.Inner, Inner)
        self.assertEqual(inner.f(), 2)

    def test_dict_is_what_a_fresh_class_statement_gives(self):
        source = """
            import abc
            class A(abc.ABC):
                __slots__ = ("x",)
                def __eq__(self, other):
                    return True
                def __init_subclass__(cls, **kw):
                    pass
                def __class_getitem__(cls, item):
                    return cls
                def __new__(cls):
                    return object.__new__(cls)
                @abc.abstractmethod
                def must(self):
                    pass
            class B:
                "doc"
                def m(self):
                    return __class__
        """
        m = self.load(source)
        A, B = m.A, m.B
        self.reload(m, source)
        fresh = self.load(source)
        for old, new in ((A, fresh.A), (B, fresh.B)):
            self.assertEqual(set(old.__dict__), set(new.__dict__))
            for key, value in new.__dict__.items():
                self.assertEqual(type(old.__dict__[key]), type(value), key)
        self.assertEqual(A.__abstractmethods__, {"must"})
        self.assertIsNone(A.__hash__)
        self.assertIs(m.B().m(), B)

    def test_abstract_methods_are_counted_again(self):
        m = self.load("""
            import abc
            class A(abc.ABC):
                @abc.abstractmethod
                def f(self):
                    pass
            class Impl(A):
                def f(self):
                    return 1
        """)
        self.reload(m, """
            import abc
            class A(abc.ABC):
                @abc.abstractmethod
                def f(self):
                    pass
                @abc.abstractmethod
                def g(self):
                    pass
            class Impl(A):
                def f(self):
                    return 1
                def g(self):
                    return 2
        """)
        self.assertEqual(m.A.__abstractmethods__, {"f", "g"})
        self.assertEqual(m.Impl().g(), 2)

    def test_init_subclass_registry_holds_the_kept_class(self):
        reg = self.load("""
            plugins = {}
            class Plugin:
                def __init_subclass__(cls, **kw):
                    super().__init_subclass__(**kw)
                    plugins[cls.__name__] = cls
        """)
        src = "from %s import Plugin\nclass P(Plugin):\n    v = %d\n"
        m = self.load(src % (reg.__name__, 1))
        P = m.P
        self.reload(m, src % (reg.__name__, 2))
        self.assertIs(reg.plugins["P"], P)
        self.assertIs(m.P, P)
        self.assertEqual(P.v, 2)

    def test_dataclass_with_a_new_field(self):
        m = self.load("""
            from dataclasses import dataclass
            @dataclass
            class Point:
                x: int
                y: int
                def norm(self):
                    return self.x + self.y
        """)
        p, Point = m.Point(1, 2), m.Point
        self.reload(m, """
            from dataclasses import dataclass
            @dataclass
            class Point:
                x: int
                y: int
                z: int = 0
                def norm(self):
                    return self.x + self.y + self.z
        """)
        self.assertIs(m.Point, Point)
        q = m.Point(1, 2, 3)
        self.assertEqual(q.norm(), 6)
        self.assertEqual(p.norm(), 3)  # the new field's default
        self.assertEqual(repr(q), "Point(x=1, y=2, z=3)")
        self.assertEqual([f.name for f in dataclasses.fields(Point)],
                         ["x", "y", "z"])
        self.assertEqual(p, m.Point(1, 2, 0))

    def test_frozen_dataclass(self):
        src = """
            from dataclasses import dataclass
            @dataclass(frozen=True)
            class Key:
                a: int
                def show(self):
                    return %r %% self.a
        """
        m = self.load(src % "a=%d")
        k = m.Key(1)
        self.reload(m, src % "A=%d")
        self.assertEqual(k.show(), "A=1")
        with self.assertRaises(dataclasses.FrozenInstanceError):
            k.a = 2
        self.assertEqual(hash(k), hash(m.Key(1)))
        self.assertEqual(k, m.Key(1))

    def test_enum_keeps_its_members(self):
        m = self.load("""
            import enum
            class Color(enum.Enum):
                RED = 1
                GREEN = 2
                def label(self):
                    return self.name.lower()
        """)
        red = m.Color.RED
        report = self.reload(m, """
            import enum
            class Color(enum.Enum):
                RED = 1
                GREEN = 2
                def label(self):
                    return self.name.title()
                def __str__(self):
                    return "color " + super().__str__()
        """)
        self.assertIs(red, m.Color.RED)
        self.assertIs(m.Color(1), red)
        self.assertEqual(red.label(), "Red")
        self.assertEqual(str(red), "color Color.RED")
        self.assertEqual(report.classes, ["Color"])

    def test_enum_with_changed_members_is_replaced(self):
        m = self.load("import enum\nclass E(enum.Enum):\n    A = 1\n")
        a = m.E.A
        report = self.reload(m, "import enum\nclass E(enum.Enum):\n"
                                "    A = 1\n    B = 2\n")
        self.assertEqual(report.replaced, [("E", "its members changed")])
        self.assertEqual(m.E.B.value, 2)
        self.assertEqual(a.value, 1)

    def test_named_tuple_with_the_same_fields(self):
        src = """
            from typing import NamedTuple
            class P(NamedTuple):
                x: int
                def show(self):
                    return %r
        """
        m = self.load(src % "old")
        p, P = m.P(1), m.P
        self.reload(m, src % "new")
        self.assertIs(m.P, P)
        self.assertEqual(p.show(), "new")
        self.assertEqual(m.P(2).x, 2)

    def test_slots_change_replaces_the_class(self):
        m = self.load("""
            class Greeter:
                __slots__ = ("name",)
                def __init__(self, name):
                    self.name = name
                def hello(self):
                    return "hi " + self.name
        """)
        g = m.Greeter("a")
        report = self.reload(m, """
            class Greeter:
                __slots__ = ("name", "greeting")
                def __init__(self, name):
                    self.name = name
                    self.greeting = "hello "
                def hello(self):
                    return self.greeting + self.name
        """)
        self.assertEqual(g.hello(), "hi a")
        self.assertEqual(m.Greeter("b").hello(), "hello b")
        self.assertEqual(report.replaced,
                         [("Greeter", "its __slots__ changed")])
        self.assertEqual(report.summary("lib"),
                         "lib: Greeter replaced (its __slots__ changed)")

    def test_metaclass_change_replaces_the_class(self):
        m = self.load("class C:\n    def f(self):\n        return 1\n")
        c = m.C()
        report = self.reload(m, """
            class Meta(type):
                pass
            class C(metaclass=Meta):
                def f(self):
                    return 2
        """)
        self.assertEqual((c.f(), m.C().f()), (1, 2))
        self.assertEqual(report.replaced, [("C", "its metaclass changed")])

    def test_bases_change_replaces_the_class(self):
        m = self.load("class A:\n    pass\nclass C:\n    pass\n")
        report = self.reload(m, "class A:\n    pass\nclass C(A):\n    pass\n")
        self.assertEqual(report.replaced, [("C", "its bases changed")])
        self.assertTrue(issubclass(m.C, m.A))

    def test_metaclass_with_its_own_new_is_replaced(self):
        src = """
            class Meta(type):
                def __new__(mcls, name, bases, ns):
                    return super().__new__(mcls, name, bases, ns)
            class C(metaclass=Meta):
                v = %d
        """
        m = self.load(src % 1)
        report = self.reload(m, src % 2)
        self.assertEqual(report.replaced,
                         [("C", "its metaclass Meta has its own __new__")])
        self.assertEqual(m.C.v, 2)

    @unittest.skipIf(sys.version_info < (3, 12), "type parameters are 3.12")
    def test_class_and_function_with_type_parameters(self):
        src = """
            class Box[T]:
                def get(self, x: T) -> T:
                    return x + %d
            def first[U](xs: list[U]) -> U:
                return xs[%d]
        """
        m = self.load(src % (1, 0))
        box, Box, first = m.Box(), m.Box, m.first
        report = self.reload(m, src % (2, 1))
        self.assertIs(m.Box, Box)
        self.assertEqual((box.get(1), first([5, 6])), (3, 6))
        self.assertEqual(Box.__type_params__[0].__name__, "T")
        self.assertEqual(report.summary("lib"),
                         "lib: 1 function and 1 class patched")

    @unittest.skipIf(sys.version_info < (3, 10), "dataclass slots= is 3.10")
    def test_dataclass_with_slots_is_replaced_by_its_decorator(self):
        src = """
            from dataclasses import dataclass
            @dataclass(slots=True)
            class P:
                x: int
                def show(self):
                    return %r
        """
        m = self.load(src % "old")
        p = m.P(1)
        for version in ("new", "newer"):
            report = self.reload(m, src % version)
            self.assertEqual(report.replaced,
                             [("P", "a decorator made a new class")])
            self.assertEqual(m.P(2).show(), version)
        self.assertEqual(p.show(), "old")

    def test_class_that_refuses_new_attributes_is_replaced(self):
        src = """
            class Frozen(type):
                def __setattr__(cls, name, value):
                    raise AttributeError("frozen")
            class C(metaclass=Frozen):
                def f(self):
                    return %d
        """
        m = self.load(src % 1)
        c = m.C()
        report = self.reload(m, src % 2)
        self.assertEqual(report.replaced, [
            ("C", "it could not be updated in place: frozen")])
        self.assertEqual((c.f(), m.C().f()), (1, 2))

    def test_class_made_by_a_call_is_replaced_at_each_reload(self):
        m = self.load("import collections\nP = collections.namedtuple("
                      "'P', 'x')\n")
        report = self.reload(m, "import collections\nP = collections."
                                "namedtuple('P', 'x y')\n")
        self.assertEqual(report.replaced,
                         [("P", "it is not made by a class statement")])


class TestQuiet(ModuleTest):

    source = """
        "doc"
        import abc, dataclasses, enum, functools, typing
        T = typing.TypeVar("T")
        def deco(n):
            def wrap(fn):
                @functools.wraps(fn)
                def w(*a):
                    return fn(*a) * n
                return w
            return wrap
        @deco(2)
        def f(x):
            return x + 1
        @functools.lru_cache()
        def g(x):
            return x
        @functools.singledispatch
        def show(x):
            return "object"
        @show.register(int)
        def _(x):
            return "int"
        class Color(enum.Enum):
            RED = 1
        class Box(typing.Generic[T]):
            def get(self) -> T:
                return None
        class TD(typing.TypedDict):
            a: int
        class Base(abc.ABC):
            registry = {}
            def __init_subclass__(cls, tag=None, **kw):
                super().__init_subclass__(**kw)
                Base.registry[tag] = cls
            @abc.abstractmethod
            def run(self):
                pass
        class Impl(Base, tag="impl"):
            def run(self):
                return super().__class__
            @functools.cached_property
            def heavy(self):
                return %d
        @dataclasses.dataclass(frozen=True)
        class P:
            x: int
            y: int = 0
    """

    def test_reload_of_an_unchanged_source_has_nothing_to_say(self):
        m = self.load(self.source % 1)
        m.Base.registry["runtime"] = object
        for _ in range(2):
            report = self.reload(m, self.source % 1)
            self.assertIsNone(report.summary("lib"), report.replaced)

    def test_kinds_of_class_are_kept_and_a_change_is_said(self):
        m = self.load(self.source % 1)
        kept = [m.Color, m.Box, m.TD, m.Base, m.Impl, m.P]
        show, impl = m.show, m.Impl()
        report = self.reload(m, (self.source % 2).replace('"int"', '"INT"'))
        self.assertEqual([m.Color, m.Box, m.TD, m.Base, m.Impl, m.P], kept)
        self.assertEqual(report.summary("lib"),
                         "lib: 2 functions and 1 class patched")
        self.assertEqual((show(1), show("x")), ("INT", "object"))
        self.assertEqual((impl.heavy, m.Impl().heavy), (2, 2))
        self.assertIs(m.Base.registry["impl"], m.Impl)
        self.assertEqual(m.Box.__parameters__, (m.T,))
        self.assertEqual(m.Impl.__abstractmethods__, frozenset())


class TestFailures(ModuleTest):

    source = """
        def f():
            return 1
        class C:
            def m(self):
                return 1
    """

    def assert_untouched(self, m, f, C, c):
        self.assertIs(m.f, f)
        self.assertIs(m.C, C)
        self.assertEqual((f(), c.m(), m.C().m()), (1, 1, 1))
        self.assertFalse(hasattr(m, "added"))

    def test_syntax_error_patches_nothing(self):
        m = self.load(self.source)
        f, C, c = m.f, m.C, m.C()
        with self.assertRaises(SyntaxError):
            self.reload(m, "def f(:\n")
        self.assert_untouched(m, f, C, c)

    def test_a_save_that_empties_the_file_for_a_moment_loses_nothing(self):
        # A round may see a file an editor emptied and has yet to write,
        # or a definition cut in one save and pasted back in the next:
        # what it took out is patched again when the source is back.
        source = ("class C:\n    def f(self):\n        return 1\n"
                  "def g():\n    return 1\n")
        m = self.load(source)
        c, C, g = m.C(), m.C, m.g
        report = self.reload(m, "")
        self.assertEqual(sorted(report.removed), ["C", "g"])
        self.reload(m, source.replace("1", "2"))
        self.assertIs(m.C, C)
        self.assertIs(m.g, g)
        self.assertTrue(isinstance(c, m.C))
        self.assertEqual((c.f(), g()), (2, 2))

    def test_an_interrupted_reload_keeps_what_it_ran(self):
        # A top level that runs on (a loop, a server) stopped by --restart
        # or Ctrl-C: as after importlib.reload, what ran stays.
        m = self.load("V = 1\n")
        with self.assertRaises(KeyboardInterrupt):
            self.reload(m, "V = 2\nraise KeyboardInterrupt\n")
        self.assertEqual(m.V, 2)

    def test_exception_halfway_patches_nothing(self):
        m = self.load(self.source)
        f, C, c = m.f, m.C, m.C()
        error = ValueError("halfway")
        sys.modules["patch_test_error"] = error
        self.addCleanup(sys.modules.pop, "patch_test_error")
        with self.assertRaises(ValueError) as caught:
            self.reload(m, """
                def f():
                    return 2
                class C:
                    def m(self):
                        return 2
                added = 1
                import sys
                raise sys.modules["patch_test_error"]
            """)
        self.assertIs(caught.exception, error)
        self.assert_untouched(m, f, C, c)
        self.reload(m, self.source.replace("1", "3"))
        self.assertEqual((f(), c.m()), (3, 3))


    def test_classes_updated_before_the_error_are_put_back(self):
        src = """
            import dataclasses, enum
            @dataclasses.dataclass
            class P:
                x: int
                def f(self):
                    return %d
            class E(enum.Enum):
                A = 1
                def f(self):
                    return %d
            class Sub(%s):
                pass
        """
        m = self.load(src % (1, 1, "P"))
        p, P, E = m.P(1), m.P, m.E
        dicts = [dict(P.__dict__), dict(E.__dict__)]
        with self.assertRaises(TypeError):  # object takes no extra=
            self.reload(m, src % (2, 2, "P, extra=1"))
        self.assertEqual([dict(P.__dict__), dict(E.__dict__)], dicts)
        self.assertEqual((p.f(), m.E.A.f(), m.P(2).x), (1, 1, 2))
        self.assertEqual([f.name for f in dataclasses.fields(P)], ["x"])


class TestNames(ModuleTest):

    def test_deleted_name_is_removed(self):
        m = self.load("x = 1\ny = 4\ndef f():\n    return x * y\n")
        report = self.reload(m, "x = 1\ndef f():\n    return x\n")
        self.assertFalse(hasattr(m, "y"))
        self.assertEqual(report.removed, ["y"])
        self.assertEqual(report.summary("lib"), "lib: 1 function patched; "
                                                "y removed")

    def test_deleted_name_is_gone_while_the_new_code_runs(self):
        # As at a fresh start: the save that deletes y = 4 fails there, and
        # the failed reload puts y back.
        m = self.load("x = 3\ny = 4\ndef f():\n    return x\nz = x + y\n")
        f = m.f
        with self.assertRaises(NameError):
            self.reload(m, "x = 3\ndef f():\n    return -x\nz = x + y\n")
        self.assertEqual((m.y, m.z, f(), m.f), (4, 7, 3, f))
        report = self.reload(m, "x = 3\ndef f():\n    return -x\nz = x\n")
        self.assertFalse(hasattr(m, "y"))
        self.assertEqual((m.z, f(), report.removed), (3, -3, ["y"]))

    def test_deleted_name_set_again_through_globals_stays(self):
        m = self.load("y = 4\n")
        report = self.reload(m, "globals()['y'] = 5\n")
        self.assertEqual((m.y, report.removed), (5, []))

    def test_names_set_at_run_time_are_kept(self):
        m = self.load("""
            def setup():
                global made
                made = 1
            globals()["other"] = 2
            setup()
        """)
        m.extra = 3
        self.reload(m, "def setup():\n    pass\n")
        self.assertEqual((m.made, m.other, m.extra), (1, 2, 3))

    def test_name_error_idiom_keeps_its_state(self):
        src = """
            try:
                conn
            except NameError:
                conn = object()
            v = %d
        """
        m = self.load(src % 1)
        conn = m.conn
        self.reload(m, src % 2)
        self.assertIs(m.conn, conn)
        self.assertEqual(m.v, 2)

    def test_first_reload_reads_the_old_names_from_cached_bytecode(self):
        sys.dont_write_bytecode = False
        m = self.load("a = 1\nb = 2\n", track=False)
        report = self.reload(m, "a = 1\n")
        self.assertEqual(report.removed, ["b"])

    def test_track_takes_the_code_the_module_ran(self):
        source = "a = 1\nb = 2\n"
        m = self.load(source, track=False)
        patch.track(m, compile(source, m.__file__, "exec"))
        report = self.reload(m, "a = 1\n")
        self.assertEqual(report.removed, ["b"])

    def test_first_reload_without_what_was_loaded_removes_nothing(self):
        m = self.load("a = 1\nb = 2\n", track=False)
        report = self.reload(m, "a = 1\n")
        self.assertEqual(report.removed, [])
        self.reload(m, "pass\n")
        self.assertFalse(hasattr(m, "a"))

    def test_removed_docstring(self):
        m = self.load('"doc"\n')
        self.reload(m, "pass\n")
        self.assertIsNone(m.__doc__)


class TestModules(ModuleTest):

    def test_package(self):
        os.mkdir(os.path.join(self.dir, "patchpkg"))
        self.write("patchpkg/__init__", "def f():\n    return 1\n")
        importlib.invalidate_caches()
        self.names.append("patchpkg")
        m = importlib.import_module("patchpkg")
        f = m.f
        self.write("patchpkg/__init__", "def f():\n    return 2\n")
        self.assertIs(patch.reload(m)[0], m)
        self.assertEqual(f(), 2)
        self.assertIs(m.f, f)

    def test_reload_inside_a_reload(self):
        inner = self.load("def f():\n    return 1\n")
        src = """
            import patch, %s as inner
            patch.reload(inner)
            def g():
                return inner.f() + %d
            class C:
                pass
        """
        outer = self.load(src % (inner.__name__, 10))
        f, g, C = inner.f, outer.g, outer.C
        self.write(inner.__name__, "def f():\n    return 2\n")
        self.reload(outer, src % (inner.__name__, 20))
        self.assertEqual((f(), g()), (2, 22))
        self.assertIs(outer.C, C)
        self.assertIs(builtins.__build_class__, _build_class)

    def test_classes_made_by_a_function_at_import(self):
        src = """
            def make(v):
                class Local:
                    value = v
                return Local
            A = make(%d)
            B = make(%d)
        """
        m = self.load(src % (1, 2))
        A, B = m.A, m.B
        self.reload(m, src % (3, 4))
        self.assertEqual((m.A.value, m.B.value), (3, 4))
        self.assertIsNot(m.A, m.B)

    def test_import_system_is_left_as_it_was(self):
        m = self.load("def f():\n    return 1\n")
        meta = list(sys.meta_path)
        self.reload(m, "def f():\n    return 2\n")
        with self.assertRaises(SyntaxError):
            self.reload(m, "def f(:\n")
        self.assertEqual(sys.meta_path, meta)
        self.assertNotIn("get_code", vars(m.__spec__.loader))

    def test_the_callers_finder_and_loader_are_used(self):
        import importlib.abc
        import importlib.util
        sources = {"patchmem": "def f():\n    return 1\nx = 1\n"}

        class Loader(importlib.abc.SourceLoader):
            def get_filename(self, name):
                return "<memory %s>" % name

            def get_data(self, path):
                return sources[path[8:-1]].encode()

        class Finder:
            @staticmethod
            def find_spec(name, path=None, target=None):
                if name in sources:
                    return importlib.util.spec_from_loader(name, Loader())
                return None

        sys.meta_path.insert(0, Finder)
        self.addCleanup(sys.meta_path.remove, Finder)
        self.names.append("patchmem")
        m = importlib.import_module("patchmem")
        patch.track(m)
        f = m.f
        sources["patchmem"] = "def f():\n    return 2\n"
        report = patch.reload(m)[1]
        self.assertEqual((f(), report.removed), (2, ["x"]))

    def test_star_import_keeps_names(self):
        m = self.load("x = 1\n")
        report = self.reload(m, "from os.path import *\n")
        self.assertEqual((m.x, report.removed), (1, []))


class TestThreads(ModuleTest):

    def test_thread_calling_during_reloads_sees_no_error(self):
        src = """
            def helper():
                return %d
            def f():
                return helper()
            class C:
                def m(self):
                    return f()
        """
        m = self.load(src % 0)
        obj = m.C()
        stop = threading.Event()
        errors = []

        def call():
            while not stop.is_set():
                try:
                    m.f()
                    obj.m()
                    m.C().m()
                except Exception as e:
                    errors.append(e)
                    return

        # Switch threads often, so that the calls fall inside the reloads.
        self.addCleanup(sys.setswitchinterval, sys.getswitchinterval())
        sys.setswitchinterval(1e-5)
        t = threading.Thread(target=call)
        t.start()
        try:
            for i in range(1, 25):
                self.reload(m, src % i)
        finally:
            stop.set()
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(obj.m(), 24)


class TestPlain(ModuleTest):

    def test_patch_false_is_importlib_reload(self):
        m = self.load("def f():\n    return 1\n")
        f = m.f
        self.write(m.__name__, "def f():\n    return 2\n")
        result, report = patch.reload(m, patch=False)
        self.assertIs(result, m)
        self.assertEqual((f(), m.f()), (1, 2))
        self.assertIsNone(report.summary("lib"))


class TestReport(unittest.TestCase):

    def test_summary_counts(self):
        r = patch.Report()
        self.assertIsNone(r.summary("lib"))
        r.functions = ["a", "b", "c"]
        r.classes = ["K"]
        r.replaced = [("Greeter", "its __slots__ changed")]
        self.assertEqual(r.summary("lib"), "lib: 3 functions and 1 class "
                         "patched; Greeter replaced (its __slots__ changed)")
        r.functions, r.classes = [], ["K", "L"]
        r.replaced, r.removed = [], ["x", "y"]
        self.assertEqual(r.summary("lib"), "lib: 2 classes patched; x, y "
                         "removed")


if __name__ == "__main__":
    unittest.main()
