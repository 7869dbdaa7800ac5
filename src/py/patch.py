# patch.py: reload a module so that everything that held its old code runs
# the new code.
#
# importlib.reload runs a module's new source in the module's own namespace:
# the module's names get new objects, while the functions, classes and
# instances made before keep the old code. reload() here does the same reload
# and keeps the old objects, with the new code in them:
#
# - While the module runs, a hook on builtins.__build_class__ makes a class
#   statement that defines again a class of the module update that class in
#   place and give it back, when its metaclass, bases and __slots__ did not
#   change. The rest of the module (decorators such as dataclass, subclasses,
#   registries) works on the kept class; old instances, subclasses in other
#   modules, isinstance() and pickle follow it.
# - Once the module has run to its end, each old function takes the new
#   function's code, defaults, closure values and attributes, and is put back
#   where the new one is, in the module and in its classes: from-imports,
#   registries, default arguments and threads run the new code at their next
#   call.
#
# Nothing scans the heap; only the module's namespace and its classes' dicts
# are walked. The module's namespace is never cleared: a thread calling into
# the module during a reload finds every name it found before.
#
# A reload that raises (a syntax error, an exception halfway) patches
# nothing and puts back what the run had changed: the classes' dicts and the
# module's names are as before the reload (importlib.reload would leave the
# names bound before the error with their new values), so the module and the
# old references agree. What the failed run did elsewhere (files written,
# registrations in other modules) stays done.
#
# Top-level names that the old source bound and the new one binds nowhere
# at its top level are taken out of the module before the new code runs, so
# that it fails where a fresh import would, and are back if the reload
# fails; names set at run time (globals(), a function's global statement)
# stay. The old source's names are noted at each good reload, and by
# track() after the first import. Class attributes are treated alike: a
# class keeps the ones set at run time, and loses the ones its class
# statement and decorators no longer define.
#
# What is replaced rather than patched (the module holds the new object, the
# old references keep the old code, and the report says why):
# - a function whose free variables changed (a closure that uses another
#   variable, a method that starts to call super());
# - a class whose metaclass, bases or __slots__ changed, or whose metaclass
#   has a __new__ or __init__ of its own (beyond Enum, typing's NamedTuple,
#   Protocol and TypedDict, which are known to be safe to update), since
#   such a metaclass may keep the new class somewhere;
# - a class made by a call (namedtuple(), type()) or that a decorator makes
#   anew (dataclass(slots=True)), at every reload.
# Other limits: values computed by old code stay (instance attributes, a
# cached_property's value); running generators and coroutines keep their
# frame and its code; a function object made during a reload and kept
# outside the module (appended by a decorator to a list in another module)
# keeps that reload's code; names a star import brings are not tracked, and
# a new source with a star import has no name taken out.
#
# The module does not depend on the rest of hotload and imports in any
# Python from 3.8 to 3.13.
import abc
import ast
import builtins
import enum
import functools
import importlib
import importlib.util
import marshal
import opcode
import os
import sys
import threading
import types
import weakref

__all__ = ["Report", "reload", "track", "forget"]

_MISSING = object()
# importlib.reload as it was when this module was imported: a caller may put
# a reload of its own in its place that comes back here.
_importlib_reload = importlib.reload
_Function = types.FunctionType
_LruWrapper = getattr(functools, "_lru_cache_wrapper", None)
if not isinstance(_LruWrapper, type):
    _LruWrapper = None  # the pure-Python lru_cache makes plain functions
_CachedProperty = functools.cached_property
_TYPE_PARAMS = sys.version_info >= (3, 12)  # functions have __type_params__

# Names the import system sets; a new source that does not bind them keeps
# them.
_IMPORT_NAMES = frozenset((
    "__name__", "__doc__", "__package__", "__loader__", "__spec__",
    "__file__", "__cached__", "__builtins__", "__path__"))

# The types of values that an old object can be kept for.
_MERGED = frozenset(t for t in (_Function, classmethod, staticmethod, property,
                                _LruWrapper, _CachedProperty)
                    if t is not None)

# Values compared by value when telling whether a class changed.
_PLAIN = (int, float, complex, str, bytes, bool, type(None), frozenset, range)


class Report:
    """What a reload did to the objects the module had made.

    functions: names of the module's functions whose code, defaults or
        closure changed and that the old function objects now run;
    classes: qualified names of classes updated in place that changed;
    replaced: (qualified name, why) of functions and classes the module now
        holds a new object for, while old references keep the old code;
    removed: top-level names the new source no longer binds, taken out of
        the module.
    """

    def __init__(self):
        self.functions = []
        self.classes = []
        self.replaced = []
        self.removed = []

    def __repr__(self):
        return "<Report %r>" % (self.summary("module"),)

    def summary(self, modname):
        """One line that says what changed, such as "lib: 3 functions and
        1 class patched; Greeter replaced (its __slots__ changed)", or None
        when the reload changed nothing worth saying."""
        counts = []
        if self.functions:
            counts.append(_count(len(self.functions), "function", "functions"))
        if self.classes:
            counts.append(_count(len(self.classes), "class", "classes"))
        parts = [" and ".join(counts) + " patched"] if counts else []
        parts.extend("%s replaced (%s)" % item for item in self.replaced)
        if self.removed:
            parts.append(", ".join(self.removed) + " removed")
        if not parts:
            return None
        return "%s: %s" % (modname, "; ".join(parts))


def _count(n, one, many):
    return "%d %s" % (n, one if n == 1 else many)


# -- What is known of each module's last good source ------------------------


class _Known:
    """A module's top-level bindings and its classes' own keys, as of its
    last import or reload that succeeded."""

    __slots__ = ("bindings", "classes", "departed")

    def __init__(self, bindings, classes, departed=None):
        self.bindings = bindings  # (frozenset of names, star import?) or None
        self.classes = classes  # qualname -> (weakref to class, keys)
        # Functions and classes a reload took out (their definitions were
        # deleted, or a save emptied the file for a moment), by name, as
        # long as something still holds them: a later source that defines
        # them again patches them, so that old instances and references
        # follow it again.
        self.departed = departed or {}  # name -> weakref


_known = {}  # module name -> _Known


def track(module, code=None):
    """Note what module's source binds at its top level and what its
    classes define, so that the next reload() can take out the names whose
    definition was deleted from the source, and only those. reload() notes
    it after every reload that succeeds; call track() once after a module's
    first import. code, if given, is the code object the module ran (as a
    loader's get_code gave it); else the source is parsed. Without track(),
    the first reload reads the old top-level names from the module's cached
    bytecode if there is a usable one, and removes nothing otherwise."""
    keys = {}
    for qualname, cls in _classes(module.__dict__, module.__name__).items():
        if cls is not None:
            keys[qualname] = (weakref.ref(cls), frozenset(cls.__dict__))
    if isinstance(code, types.CodeType):
        bindings = _code_bindings(code)
    else:
        bindings = _source_bindings(module)
    _known[module.__name__] = _Known(bindings, keys)


def forget(module):
    """Drop what track() and reload() noted about module (or a module's
    name)."""
    _known.pop(getattr(module, "__name__", module), None)


def _classes(ns, modname):
    """The classes made by the module whose namespace is ns, with the
    classes nested in them, by qualified name; None for a name that two
    classes share."""
    found = {}

    def visit(cls):
        qualname = cls.__qualname__
        if qualname in found:
            if found[qualname] is not cls:
                found[qualname] = None
            return
        found[qualname] = cls
        prefix = qualname + "."
        for value in list(cls.__dict__.values()):
            if (isinstance(value, type)
                    and value.__dict__.get("__module__") == modname
                    and isinstance(value.__qualname__, str)
                    and value.__qualname__.startswith(prefix)):
                visit(value)

    for value in list(ns.values()):
        if (isinstance(value, type)
                and value.__dict__.get("__module__") == modname
                and isinstance(value.__qualname__, str)):
            visit(value)
    return found


def _source_bindings(module):
    """What module's source, as its loader gives it, binds at its top level
    (see _top_bindings), or None."""
    spec = getattr(module, "__spec__", None)
    loader = getattr(spec, "loader", None) or getattr(module, "__loader__",
                                                      None)
    get_source = getattr(loader, "get_source", None)
    if get_source is None:
        return None
    try:
        source = get_source(spec.name if spec is not None else module.__name__)
        if source is None:
            return None
        return _top_bindings(ast.parse(source), source)
    except Exception:
        return None


_TRY = tuple(getattr(ast, n) for n in ("Try", "TryStar") if hasattr(ast, n))
_MATCH = getattr(ast, "Match", None)
_TYPE_ALIAS = getattr(ast, "TypeAlias", None)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _top_bindings(tree, source):
    """The names that a module's top level binds (assignments, def, class,
    import, for, with, except, match, :=, a docstring's __doc__), and
    whether it has a star import."""
    names = set()
    star = []

    def target(node):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, (ast.Tuple, ast.List)):
            for elt in node.elts:
                target(elt)
        elif isinstance(node, ast.Starred):
            target(node.value)

    def block(body):
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                 ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                for t in node.targets:
                    target(t)
            elif isinstance(node, ast.AugAssign):
                target(node.target)
            elif isinstance(node, ast.AnnAssign):
                if node.value is not None:
                    target(node.target)
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    names.add(alias.asname or alias.name.partition(".")[0])
            elif isinstance(node, ast.ImportFrom):
                for alias in node.names:
                    if alias.name == "*":
                        star.append(node)
                    else:
                        names.add(alias.asname or alias.name)
            elif isinstance(node, (ast.For, ast.AsyncFor)):
                target(node.target)
                block(node.body)
                block(node.orelse)
            elif isinstance(node, (ast.While, ast.If)):
                block(node.body)
                block(node.orelse)
            elif isinstance(node, (ast.With, ast.AsyncWith)):
                for item in node.items:
                    if item.optional_vars is not None:
                        target(item.optional_vars)
                block(node.body)
            elif isinstance(node, _TRY):
                block(node.body)
                for handler in node.handlers:
                    if handler.name:
                        names.add(handler.name)
                    block(handler.body)
                block(node.orelse)
                block(node.finalbody)
            elif _MATCH is not None and isinstance(node, _MATCH):
                for case in node.cases:
                    for p in ast.walk(case.pattern):
                        for attr in ("name", "rest"):
                            value = getattr(p, attr, None)
                            if isinstance(value, str):
                                names.add(value)
                    block(case.body)
            elif _TYPE_ALIAS is not None and isinstance(node, _TYPE_ALIAS):
                target(node.name)

    def walrus(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, _SCOPES):
                continue
            if isinstance(child, ast.NamedExpr):
                target(child.target)
            walrus(child)

    block(tree.body)
    if ":=" in source:
        walrus(tree)
    if ast.get_docstring(tree, clean=False) is not None:
        names.add("__doc__")  # as the compiled module stores it
    return frozenset(names), bool(star)


def _cached_bindings(module):
    """The top-level names bound by the code in module's cached bytecode,
    when that file holds an older version of the source than the one on
    disk, and bytecode is written (so the import would have rewritten a
    stale one): the names the module was loaded with. None otherwise."""
    cached = getattr(module, "__cached__", None)
    origin = getattr(module, "__file__", None)
    if sys.dont_write_bytecode or not cached or not origin:
        return None
    try:
        with open(cached, "rb") as f:
            data = f.read()
        st = os.stat(origin)
    except (OSError, TypeError):
        return None
    if len(data) < 16 or data[:4] != importlib.util.MAGIC_NUMBER:
        return None
    if int.from_bytes(data[4:8], "little") != 0:
        return None  # checked against a hash: cannot tell its age
    mtime = int.from_bytes(data[8:12], "little")
    size = int.from_bytes(data[12:16], "little")
    if (mtime == int(st.st_mtime) & 0xFFFFFFFF
            and size == st.st_size & 0xFFFFFFFF):
        return None  # the bytecode of the source now on disk
    try:
        return _code_bindings(marshal.loads(data[16:]))
    except Exception:
        return None


_STORES = frozenset(opcode.opmap[n] for n in ("STORE_NAME", "STORE_GLOBAL"))
_STORE_GLOBAL = opcode.opmap["STORE_GLOBAL"]
_IMPORT_STAR = opcode.opmap.get("IMPORT_STAR")  # 3.11 and before
_INTRINSIC = opcode.opmap.get("CALL_INTRINSIC_1")  # 3.12 on: arg 2 is *
_COMPREHENSIONS = frozenset(("<listcomp>", "<setcomp>", "<dictcomp>",
                             "<genexpr>"))


def _code_bindings(code):
    """The names a module's code object binds at its top level, as
    _top_bindings gives them from its source, read from its bytecode: the
    names it stores, and those that := in its comprehensions stores (a
    comprehension is a function of its own before 3.12). A function's
    global statement does not count."""
    names = set()
    star = False
    stack = [(code, _STORES)]
    while stack:
        co, stores = stack.pop()
        ops, args = co.co_code[0::2], co.co_code[1::2]
        for op in stores:
            i = ops.find(op)
            while i >= 0:
                arg, shift, j = args[i], 8, i - 1
                while j >= 0 and ops[j] == opcode.EXTENDED_ARG:
                    arg |= args[j] << shift
                    shift += 8
                    j -= 1
                names.add(co.co_names[arg])
                i = ops.find(op, i + 1)
        if _IMPORT_STAR is not None and ops.find(_IMPORT_STAR) >= 0:
            star = True
        elif _INTRINSIC is not None:
            i = ops.find(_INTRINSIC)
            while i >= 0 and not star:
                star = args[i] == 2
                i = ops.find(_INTRINSIC, i + 1)
        for const in co.co_consts:
            if (isinstance(const, types.CodeType)
                    and const.co_name in _COMPREHENSIONS):
                stack.append((const, (_STORE_GLOBAL,)))
    return frozenset(names), star


# -- Comparing old and new values, for the report ---------------------------


def _same_code(a, b):
    """Do two code objects do the same, whatever lines they start on?"""
    if a is b:
        return True
    if (a.co_code == b.co_code and a.co_names == b.co_names
            and a.co_varnames == b.co_varnames and a.co_flags == b.co_flags
            and a.co_consts == b.co_consts
            and list(map(type, a.co_consts)) == list(map(type, b.co_consts))):
        return True  # no nested code, or nested code on the same lines
    if (a.co_code != b.co_code or a.co_names != b.co_names
            or a.co_varnames != b.co_varnames
            or a.co_freevars != b.co_freevars
            or a.co_cellvars != b.co_cellvars or a.co_flags != b.co_flags
            or a.co_argcount != b.co_argcount
            or a.co_kwonlyargcount != b.co_kwonlyargcount
            or len(a.co_consts) != len(b.co_consts)):
        return False
    for x, y in zip(a.co_consts, b.co_consts):
        if isinstance(x, types.CodeType):
            if not isinstance(y, types.CodeType) or not _same_code(x, y):
                return False
        elif type(x) is not type(y):
            return False
        else:
            try:
                if x != y:
                    return False
            except Exception:
                return False
    return True


def _differs(a, b, depth=0):
    """Did a value change between the old and new source, as far as can
    be told cheaply? Functions are compared by code, defaults and closure,
    plain values by value; other objects of one type count as unchanged."""
    if a is b:
        return False
    t = type(a)
    if t is not type(b):
        return True
    if depth > 6:
        return False
    depth += 1
    if t is _Function:
        if (not _same_code(a.__code__, b.__code__)
                or _differs(a.__defaults__, b.__defaults__, depth)
                or _differs(a.__kwdefaults__, b.__kwdefaults__, depth)
                or _differs(a.__dict__.get("__wrapped__"),
                            b.__dict__.get("__wrapped__"), depth)):
            return True
        for x, y in zip(a.__closure__ or (), b.__closure__ or ()):
            try:
                if _differs(x.cell_contents, y.cell_contents, depth):
                    return True
            except ValueError:
                pass
        return False
    if t is classmethod or t is staticmethod:
        return _differs(a.__func__, b.__func__, depth)
    if t is property:
        return (_differs(a.fget, b.fget, depth)
                or _differs(a.fset, b.fset, depth)
                or _differs(a.fdel, b.fdel, depth))
    if t is _LruWrapper:
        return _differs(getattr(a, "__wrapped__", None),
                        getattr(b, "__wrapped__", None), depth)
    if t is _CachedProperty:
        return _differs(a.func, b.func, depth)
    if t is tuple:
        return len(a) != len(b) or any(
            _differs(x, y, depth) for x, y in zip(a, b))
    if t is dict:
        return a.keys() != b.keys() or any(
            _differs(v, b[k], depth) for k, v in a.items())
    if t in _PLAIN:
        try:
            return bool(a != b)
        except Exception:
            return True
    return False


def _class_differs(before, after):
    """Did a class dict change, besides its functions (which merging
    compares) and the line it starts on? Its final dict, after decorators
    and __init_subclass__, is compared with the one before the reload.
    A dict in it other than __annotations__ (a cache, a registry) holds
    what the program put there, so it counts as unchanged."""
    if len(before) != len(after) or any(k not in before for k in after):
        return set(before).symmetric_difference(after) != {"__firstlineno__"}
    for key, value in after.items():
        was = before[key]
        if was is value:
            continue
        t = type(value)
        if (t not in _MERGED and key != "__firstlineno__"
                and (t is not dict or key == "__annotations__")
                and _differs(was, value)):
            return True
    return False


# -- The hook on class creation --------------------------------------------

_lock = threading.Lock()
_active = {}  # id(namespace of a module being reloaded) -> [_Reload]
_original_build_class = builtins.__build_class__
_previous_build_class = None  # what builtins held before the hook went in


def _build_class(*args, **kwds):
    """builtins.__build_class__ while a module is reloaded: a class
    statement run by the reload, in the reloading thread, gets a maker that
    can give back the class it made last time."""
    ctx = None
    if args:
        ctx = _context(getattr(args[0], "__globals__", None))
    if ctx is None:
        return _original_build_class(*args, **kwds)
    explicit = kwds.pop("metaclass", None)
    if explicit is not None and not isinstance(explicit, type):
        kwds["metaclass"] = explicit  # a metaclass that is not a class
        return _original_build_class(*args, **kwds)
    return _original_build_class(*args, metaclass=_Maker(ctx, explicit),
                                 **kwds)


def _context(ns):
    if ns is None:
        return None
    found = _active.get(id(ns))
    if found:
        ident = threading.get_ident()
        for ctx in found:
            if ctx.ns is ns and ctx.thread == ident:
                return ctx
    return None


def _enter(ctx):
    global _previous_build_class
    with _lock:
        if not _active and builtins.__build_class__ is not _build_class:
            _previous_build_class = builtins.__build_class__
            builtins.__build_class__ = _build_class
        _active.setdefault(id(ctx.ns), []).append(ctx)


def _leave(ctx):
    with _lock:
        found = _active.get(id(ctx.ns), [])
        if ctx in found:
            found.remove(ctx)
        if not found:
            _active.pop(id(ctx.ns), None)
        if not _active and builtins.__build_class__ is _build_class:
            builtins.__build_class__ = _previous_build_class


# The names a new source binds are read from the code object the reload
# runs: reading its bytecode costs a few microseconds where parsing the
# source costs as much as compiling it. To be handed that code object, a
# finder goes first on sys.meta_path while the module is reloaded: it finds
# the module's spec with the finders after it, as importlib would, and wraps
# its loader's get_code. Both are taken away once the reload is over. (An
# audit hook on "exec" would see the code too, but it cannot be removed and
# makes every function.__code__ read in the process several times slower.)


class _CodeCatcher:
    """A finder that notes the code object a reload's loader gives."""

    def __init__(self, ctx, name):
        self.ctx = ctx
        self.name = name
        self.loader = None  # the loader whose get_code is wrapped

    def find_spec(self, name, path=None, target=None):
        ctx = self.ctx
        if (name != self.name or self.loader is not None
                or threading.get_ident() != ctx.thread):
            return None
        meta = sys.meta_path
        try:
            later = meta[meta.index(self) + 1:]
        except ValueError:
            return None
        for finder in later:
            find = getattr(finder, "find_spec", None)
            if find is None:
                return None  # a legacy finder: let importlib go on alone
            spec = find(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        get_code = getattr(loader, "get_code", None)
        own = getattr(loader, "__dict__", None)
        if (get_code is not None and own is not None
                and not isinstance(loader, type) and "get_code" not in own):

            def caught(fullname):
                code = get_code(fullname)
                if fullname == name and ctx.code is None:
                    ctx.code = code
                    ctx.take_out_before_run()
                return code

            try:
                loader.get_code = caught
                self.loader = loader
            except (AttributeError, TypeError):
                pass
        return spec

    def invalidate_caches(self):
        pass

    def remove(self):
        """Take the finder off sys.meta_path and the loader's get_code
        back."""
        try:
            sys.meta_path.remove(self)
        except ValueError:
            pass
        loader = self.loader
        if loader is not None:
            try:
                del loader.get_code
            except (AttributeError, TypeError):
                pass


class _Maker:
    """Stands for a class statement's metaclass during a reload. It finds
    the real metaclass as __build_class__ would, prepares the namespace with
    it, and once the body has run, lets the reload decide between updating
    the old class and making a new one."""

    def __init__(self, ctx, explicit):
        self.ctx = ctx
        self.explicit = explicit
        self.meta = None

    def __prepare__(self, *args, **kwds):
        bases = args[1]
        meta = self.explicit
        if meta is None:
            meta = type(bases[0]) if bases else type
        for base in bases:
            t = type(base)
            if issubclass(meta, t):
                continue
            if issubclass(t, meta):
                meta = t
                continue
            raise TypeError(
                "metaclass conflict: the metaclass of a derived class must "
                "be a (non-strict) subclass of the metaclasses of all its "
                "bases")
        self.meta = meta
        prepare = getattr(meta, "__prepare__", None)
        return prepare(*args, **kwds) if prepare is not None else {}

    def __call__(self, *args, **kwds):
        return self.ctx.make_class(self.meta, args, kwds)


_makers = weakref.WeakKeyDictionary()  # metaclass -> see _way


def _way(meta):
    """How classes of a metaclass are updated: "body" when the metaclass
    makes classes as type or ABCMeta does (the class body's namespace goes
    into the old class), "class" for the metaclasses known to be safe to
    copy a new class from (Enum, typing's NamedTuple, Protocol and
    TypedDict), else why it cannot be: a metaclass with its own __new__ or
    __init__ may keep the new class somewhere (a registry, a validator), so
    its classes are replaced."""
    if meta is type:
        return "body"
    way = _makers.get(meta)
    if way is None:
        way = "body"
        for c in meta.__mro__:
            if c is type or c is abc.ABCMeta:
                break
            if issubclass(c, enum.EnumMeta) or (
                    c.__module__ == "typing" and c.__name__ in (
                        "NamedTupleMeta", "_ProtocolMeta", "_TypedDictMeta")):
                way = "class"
                break
            own = [n for n in ("__new__", "__init__") if n in c.__dict__]
            if own:
                way = "its metaclass %s has its own %s" % (
                    meta.__name__, own[0])
                break
        _makers[meta] = way
    return way


def _slots(value):
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def _same_items(a, b):
    if len(a) != len(b):
        return False
    if len(a) == 1:
        return a[0] is b[0]
    return all(x is y for x, y in zip(a, b))


_LAYOUT = (types.MemberDescriptorType, types.GetSetDescriptorType)


def _is_layout(cls, value):
    """Is value one of the descriptors type.__new__ made for cls's layout
    (a slot, __dict__, __weakref__)?"""
    return type(value) in _LAYOUT and value.__objclass__ is cls


def _is_sunder(key):
    return (len(key) > 2 and key[0] == "_" and key[-1] == "_"
            and key[1] != "_" and key[-2] != "_")


def _is_code(value):
    return isinstance(value, (_Function, classmethod, staticmethod, property))


def _class_cell(ns, made):
    """The __class__ cell of a class body, from its namespace or from the
    methods of the class made from it."""
    cell = ns.get("__classcell__") if hasattr(ns, "get") else None
    if cell is not None:
        return cell
    for value in made.__dict__.values():
        if isinstance(value, (classmethod, staticmethod)):
            value = value.__func__
        elif isinstance(value, property):
            value = value.fget
        if isinstance(value, _Function) and value.__closure__:
            code = value.__code__
            if "__class__" in code.co_freevars:
                cell = value.__closure__[code.co_freevars.index("__class__")]
                try:
                    if cell.cell_contents is made:
                        return cell
                except ValueError:
                    pass
    return None


# -- One reload --------------------------------------------------------------


class _Reload:
    """The state of one patching reload of one module."""

    def __init__(self, module, report):
        self.module = module
        self.name = module.__name__
        self.ns = module.__dict__
        self.old = dict(self.ns)
        self.thread = threading.get_ident()
        self.report = report
        known = _known.get(self.name)
        self.known = known
        if known is not None:
            self.old_bindings = known.bindings
        else:
            self.old_bindings = _cached_bindings(module)
        self.departed = {}  # name -> function or class a reload took out
        for key, ref in (known.departed if known is not None else {}).items():
            value = ref()
            if value is not None and key not in self.ns:
                self.departed[key] = value
        self.classes = None  # old classes by qualname, when first needed
        self.claimed = set()  # ids of old classes a class statement took
        self.built = {}  # qualname -> what its class statement gave
        self.journal = []  # (class, its dict before, its qualname)
        self.pending = []  # (class, key, old value, new value)
        self.runtime = {}  # id(class) -> keys kept as set at run time
        self.memo = {}  # id(new value) -> (new value, value kept)
        self.code = None  # the module's new code object, once it runs
        self.bindings = None  # what the new code binds, once read
        self.dirty = False  # did the last merge find a change?

    # -- while the module runs

    def make_class(self, meta, args, kwds):
        """Make the class of a class statement, or update and give back the
        old one."""
        name, bases, body = args[0], args[1], args[2]
        qualname = body.get("__qualname__", name) if hasattr(body, "get") \
            else name
        if self.classes is None:
            self.classes = self.old_classes()
        old = self.classes.get(qualname) if isinstance(qualname, str) \
            else None
        if old is None or id(old) in self.claimed:
            return self.new_class(qualname, meta, args, kwds)
        self.claimed.add(id(old))
        way = _way(meta)
        if way == "body":
            why = self.why_not(old, meta, bases, body)
            if why is not None:
                return self.new_class(qualname, meta, args, kwds, why)
            try:
                self.update_from_body(old, body, kwds)
            except _NotUpdated as e:
                return self.new_class(qualname, meta, args, kwds, e.why)
            self.built[qualname] = old
            return old
        if way != "class":
            return self.new_class(qualname, meta, args, kwds, way)
        made = self.new_class(qualname, meta, args, kwds)
        why = self.why_not_made(old, made)
        if why is None:
            try:
                self.update_from_class(old, made, body)
            except _NotUpdated as e:
                why = e.why
        if why is not None:
            self.report.replaced.append((qualname, why))
            cell = _class_cell(body, made)
            if cell is not None:
                cell.cell_contents = made
            return made
        self.built[qualname] = old
        return old

    def new_class(self, qualname, meta, args, kwds, why=None):
        made = meta(*args, **kwds)
        self.built[qualname] = made
        if why is not None:
            self.report.replaced.append((qualname, why))
        return made

    def old_classes(self):
        """The module's classes by qualified name: those its class
        statements gave at the last reload (or import, when tracked) that
        are still alive, else the ones found in its namespace."""
        departed = {v.__qualname__: v for v in self.departed.values()
                    if isinstance(v, type)}
        if self.known is None or self.known.classes is None:
            return dict(departed, **_classes(self.old, self.name))
        found = departed
        for qualname, (ref, _) in self.known.classes.items():
            cls = ref()
            if cls is not None:
                found[qualname] = cls
        return found

    def why_not(self, old, meta, bases, body):
        """Why the old class cannot take a class body, or None."""
        if type(old) is not meta:
            return "its metaclass changed"
        if not _same_items(old.__bases__, tuple(bases) or (object,)):
            return "its bases changed"
        slots = body.get("__slots__")
        if slots is not None and not isinstance(slots, (str, tuple, list,
                                                       dict)):
            slots = body["__slots__"] = tuple(slots)  # read it only once
        old_slots = _slots(old.__dict__.get("__slots__"))
        if old_slots != _slots(slots):
            return "its __slots__ changed"
        if old_slots:
            for key, value in old.__dict__.items():
                if key in body and _is_layout(old, value):
                    return "its __slots__ changed"  # type() would refuse it
        return None

    def why_not_made(self, old, made):
        """Why the old class cannot take what a new class holds, or None."""
        if not isinstance(made, type):
            return "it is no longer a class"
        if type(made) is not type(old):
            return "its metaclass changed"
        if not _same_items(old.__bases__, made.__bases__):
            return "its bases changed"
        if (_slots(old.__dict__.get("__slots__"))
                != _slots(made.__dict__.get("__slots__"))
                or old.__basicsize__ != made.__basicsize__
                or old.__itemsize__ != made.__itemsize__):
            return "its __slots__ changed"
        a = old.__dict__.get("_member_map_")
        b = made.__dict__.get("_member_map_")
        if a is not None or b is not None:
            try:
                same = a is not None and b is not None and [
                    (k, getattr(v, "_value_", v)) for k, v in a.items()] == [
                    (k, getattr(v, "_value_", v)) for k, v in b.items()]
            except Exception:
                same = False
            if not same:
                return "its members changed"
        if old.__dict__.get("_fields") != made.__dict__.get("_fields"):
            return "its fields changed"
        return None

    def update_from_body(self, cls, body, kwds):
        """Make cls what type.__new__ (or ABCMeta.__new__) would make of a
        class body: its dict becomes the body's namespace, __set_name__ and
        __init_subclass__ run, abstract methods are counted again."""
        before = dict(cls.__dict__)
        self.journal.append((cls, before, cls.__qualname__))
        target = {}
        for key, value in body.items():
            if key in ("__qualname__", "__classcell__"):
                continue
            if type(value) is _Function:
                if key in ("__init_subclass__", "__class_getitem__"):
                    value = classmethod(value)
                elif key == "__new__":
                    value = staticmethod(value)
            target[key] = value
        target.setdefault("__doc__", None)
        if "__eq__" in target and "__hash__" not in target:
            target["__hash__"] = None  # as type.__new__ does
        if "__slots__" in target and "__slots__" in before:
            target["__slots__"] = before["__slots__"]
        cell = body.get("__classcell__")
        if cell is not None:
            cell.cell_contents = cls
        keep = [k for k, v in before.items()
                if type(v) in _LAYOUT and v.__objclass__ is cls
                or k[:5] == "_abc_"]
        self.apply(cls, before, target, keep)  # the user's code runs next
        _set_names(cls, before, target)
        super(cls, cls).__init_subclass__(**kwds)
        if isinstance(cls, abc.ABCMeta):
            _count_abstracts(cls)

    def update_from_class(self, cls, made, body):
        """Give cls what the new class made holds, but the layout, the ABC
        registry and an Enum's members, which stay cls's own."""
        before = dict(cls.__dict__)
        self.journal.append((cls, before, cls.__qualname__))
        members = made.__dict__.get("_member_map_")
        source = {}
        for key, value in made.__dict__.items():
            if (_is_layout(made, value) or key.startswith("_abc_")
                    or members is not None and (
                        key in members
                        or _is_sunder(key) and not _is_code(value))):
                continue
            source[key] = value
        if "__slots__" in source and "__slots__" in before:
            source["__slots__"] = before["__slots__"]
        cell = _class_cell(body, made)
        if cell is not None:
            cell.cell_contents = cls
        old_members = before.get("_member_map_")
        keep = [k for k, v in before.items()
                if _is_layout(cls, v) or k.startswith("_abc_")
                or old_members is not None and (
                    k in old_members or _is_sunder(k) and not _is_code(v))]
        self.apply(cls, before, source, keep)
        _set_names(cls, before, source)

    def apply(self, cls, before, target, keep):
        """Set cls's dict to target, new values first so that no lookup
        fails meanwhile; keep the keys in keep, and the ones that no class
        statement or decorator defined (set at run time). If that fails (a
        metaclass that refuses to set attributes), cls is put back as it
        was and _NotUpdated says why."""
        try:
            self._apply(cls, before, target, keep)
        except Exception as e:
            _restore(cls, before, cls.__qualname__)
            self.journal = [j for j in self.journal if j[0] is not cls]
            self.pending = [p for p in self.pending if p[0] is not cls]
            raise _NotUpdated("it could not be updated in place: %s" % (e,))

    def _apply(self, cls, before, target, keep):
        known = self.known.classes.get(cls.__qualname__) \
            if self.known is not None else None
        defined = known[1] if known is not None and known[0]() is cls \
            else None
        for key, value in target.items():
            old = before.get(key, _MISSING)
            if old is not value:
                setattr(cls, key, value)
                if old is not _MISSING and type(value) in _MERGED:
                    self.pending.append((cls, key, old, value))
        runtime = set()
        keep = set(keep)
        for key in before:
            if key in target or key in keep:
                continue
            if defined is None or key in defined:
                delattr(cls, key)
            else:
                runtime.add(key)
        self.runtime[id(cls)] = runtime

    # -- when the reload failed

    def rollback(self):
        """Put the classes and the module's names back as they were."""
        for cls, before, qualname in reversed(self.journal):
            _restore(cls, before, qualname)
        ns, old = self.ns, self.old
        for key in list(ns):
            if key not in old:
                ns.pop(key, None)
        for key, value in old.items():
            if ns.get(key, _MISSING) is not value:
                ns[key] = value

    # -- when the module ran to its end

    def finish(self):
        """Patch the old functions with the new code, put them back, take
        out the deleted names and note the new source's names."""
        report = self.report
        ns = self.ns
        dirty = set()  # ids of classes whose functions changed
        for cls, key, old, new in self.pending:
            if cls.__dict__.get(key, _MISSING) is not new:
                continue  # a decorator put something else there
            self.dirty = False
            kept = self.merge_safely(old, new, (cls, key))
            if self.dirty:
                dirty.add(id(cls))
            if kept is not new:
                try:
                    setattr(cls, key, kept)
                except (AttributeError, TypeError):
                    pass
        for cls, before, _ in self.journal:
            if id(cls) in dirty or _class_differs(before, cls.__dict__):
                report.classes.append(cls.__qualname__)
        counted = set()
        for key, new in list(ns.items()):
            old = self.old.get(key, _MISSING)
            if old is _MISSING:
                old = self.departed.get(key, _MISSING)
            if old is _MISSING or old is new:
                continue
            if type(new) not in _MERGED:
                if isinstance(old, type) or isinstance(new, type):
                    self.note_class(old, new)
                continue
            self.dirty = False
            kept = self.merge_safely(old, new, key)
            if kept is not new:
                if ns.get(key, _MISSING) is new:
                    ns[key] = kept
                if self.dirty and id(kept) not in counted:
                    counted.add(id(kept))
                    report.functions.append(key)
        self.take_out_deleted()

    def note_class(self, old, new):
        """Say why the module holds a new class where it had one of its
        own, if no class statement said it already."""
        if (not isinstance(old, type) or isinstance(new, type)
                and new.__qualname__ != old.__qualname__
                or old.__dict__.get("__module__") != self.name):
            return
        qualname = old.__qualname__
        built = self.built.get(qualname, _MISSING)
        if built is new:
            return  # its class statement made it and said why
        if built is _MISSING:
            why = "it is not made by a class statement"
        elif not isinstance(new, type):
            why = "it is no longer a class"
        else:
            why = "a decorator made a new class"
            if isinstance(new, type) and new.__qualname__ == qualname:
                self.built[qualname] = new  # the class the module has
        report = self.report
        if qualname in report.classes:
            report.classes.remove(qualname)
        # What the class statement said (such as a __slots__ change against
        # the class the decorator made last time) gives way to this.
        report.replaced[:] = [r for r in report.replaced if r[0] != qualname]
        report.replaced.append((qualname, why))

    def take_out_before_run(self):
        """Once the loader has given the new code, and before it runs, take
        out the names the old source bound at its top level and the new one
        binds nowhere there: the new code then meets the NameError a fresh
        import would (deleting y = 4 while code still reads y fails at that
        save, not at a later one). A failed run puts them back."""
        code = self.code
        if (isinstance(code, types.CodeType)
                and code.co_filename == getattr(self.module, "__file__",
                                                None)):
            self.bindings = _code_bindings(code)
            self.take_out(self.bindings)

    def take_out(self, bindings):
        """Take out the old source's top-level names that bindings (the
        new code's, see _code_bindings) lacks, and report them."""
        names, star = bindings
        if self.old_bindings is not None and not star:
            ns = self.ns
            for key in sorted(self.old_bindings[0] - names):
                if key not in _IMPORT_NAMES and key in ns:
                    value = ns.pop(key)
                    self.report.removed.append(key)
                    if isinstance(value, (type, _Function)):
                        self.departed[key] = value

    def take_out_deleted(self):
        """Take out the names the old source bound at its top level and the
        new one binds nowhere there, unless that was done before the run;
        note the new source's names."""
        bindings = self.bindings
        if bindings is None:
            bindings = _source_bindings(self.module)
            if bindings is not None:
                self.take_out(bindings)
        else:  # the new code may have set a name again (globals())
            report = self.report
            report.removed = [k for k in report.removed if k not in self.ns]
        if bindings is not None:
            names = bindings[0]
            if "__doc__" not in names:
                self.ns["__doc__"] = None  # the docstring was deleted
        departed = {}
        for key, value in self.departed.items():
            if key not in self.ns:
                try:
                    departed[key] = weakref.ref(value)
                except TypeError:
                    pass
        _known[self.name] = _Known(bindings, self.class_keys(), departed)

    def class_keys(self):
        """The keys of the classes the module's class statements gave, as
        the next reload needs them (see apply)."""
        keys = {}
        for qualname, cls in self.built.items():
            if isinstance(cls, type):
                own = frozenset(cls.__dict__).difference(
                    self.runtime.get(id(cls), ()))
                keys[qualname] = (weakref.ref(cls), own)
        return keys

    # -- giving old objects the new code

    def merge_safely(self, old, new, where):
        try:
            return self.merge(old, new, where)
        except Exception as e:
            self.replaced(where, "it could not be patched: %s" % (e,))
            return new

    def replaced(self, where, why):
        """Report that where (a name, or a class and a key in it) holds a
        new object, and why."""
        if isinstance(where, tuple):
            where = "%s.%s" % (where[0].__qualname__, where[1])
        self.report.replaced.append((where, why))

    def merge(self, old, new, where):
        """The object to keep where old was and new is: old, given new's
        code, when it can take it; else new. Sets self.dirty when what
        old ran differs from what new runs."""
        if old is new:
            return old
        seen = self.memo.get(id(new))
        if (seen is None and type(new) is _Function
                and type(old) is _Function):
            # The common case, without _merge's dispatch.
            if self.can_take(old, new, where):
                self.memo[id(new)] = (new, old)  # for cycles through cells
                self.take(old, new, where)
                return old
            self.memo[id(new)] = (new, new)
            self.dirty = True
            return new
        if seen is not None:
            kept = seen[1]
            if (kept is not old and type(old) is _Function
                    and type(new) is _Function
                    and self.can_take(old, new, where, quiet=True)):
                self.take(old, new, where)  # another old alias follows too
            return kept
        kept = self._merge(old, new, where)
        self.memo[id(new)] = (new, kept)
        if kept is new and type(new) in _MERGED:
            self.dirty = True  # replaced
        return kept

    def _merge(self, old, new, where):
        t = type(new)
        if t is _Function:
            if type(old) is _Function and self.can_take(old, new, where):
                self.memo[id(new)] = (new, old)  # for cycles through cells
                self.take(old, new, where)
                return old
            return new
        if type(old) is not t:
            return new
        if t is classmethod or t is staticmethod:
            inner = self.merge(old.__func__, new.__func__, where)
            return old if inner is old.__func__ else new
        if t is property:
            same = True
            for attr in ("fget", "fset", "fdel"):
                a, b = getattr(old, attr), getattr(new, attr)
                if a is None and b is None:
                    continue
                if a is None or b is None or self.merge(a, b, where) is not a:
                    same = False
            if same and old.__doc__ != new.__doc__:
                try:
                    old.__doc__ = new.__doc__
                except (AttributeError, TypeError):
                    same = False
            return old if same else new
        if t is _CachedProperty:
            if (old.attrname != new.attrname
                    or self.merge(old.func, new.func, where) is not old.func):
                return new
            old.__doc__ = new.__doc__
            return old
        if t is _LruWrapper:
            a = getattr(old, "__wrapped__", None)
            b = getattr(new, "__wrapped__", None)
            old.cache_clear()
            if (a is None or b is None
                    or _cache_settings(old) != _cache_settings(new)
                    or self.merge(a, b, where) is not a):
                return new
            for key, value in new.__dict__.items():
                if key != "__wrapped__":
                    try:
                        setattr(old, key, value)
                    except (AttributeError, TypeError):
                        pass
            return old
        return new

    def can_take(self, old, new, where, quiet=False):
        """Can the old function run the new one's code? Only a function of
        this module, or one made by the same code elsewhere (a decorator's
        wrapper), whose free variables are the same, by name and order."""
        a, b = old.__code__, new.__code__
        if a is not b and (old.__globals__ is not self.ns
                           or new.__globals__ is not self.ns):
            return False  # another module's function: not this reload's
        if a.co_freevars == b.co_freevars:
            return True
        if not quiet:
            if ("__class__" in b.co_freevars
                    and "__class__" not in a.co_freevars):
                why = "it now calls super()"
            else:
                why = "its free variables changed"
            self.replaced(where, why)
        return False

    def take(self, old, new, where):
        """Give old function new's code and everything that goes with it:
        defaults, docstring, annotations, attributes, and its closure's
        values (functions in it are merged, the rest are new's)."""
        code, defaults, kwdefaults = (new.__code__, new.__defaults__,
                                      new.__kwdefaults__)
        if not self.dirty:
            was = old.__code__
            if ((was != code and not _same_code(was, code))
                    or _differs(old.__defaults__, defaults)
                    or _differs(old.__kwdefaults__, kwdefaults)):
                self.dirty = True
        old.__code__ = code
        old.__defaults__ = defaults
        old.__kwdefaults__ = kwdefaults
        old.__annotations__ = new.__annotations__
        old.__doc__ = new.__doc__
        old.__name__ = new.__name__
        old.__qualname__ = new.__qualname__
        old.__module__ = new.__module__
        if _TYPE_PARAMS:
            old.__type_params__ = new.__type_params__
        attrs = new.__dict__
        if attrs or old.__dict__:
            attrs = dict(attrs)
            if "__wrapped__" in attrs and "__wrapped__" in old.__dict__:
                attrs["__wrapped__"] = self.merge(
                    old.__dict__["__wrapped__"], attrs["__wrapped__"], where)
            old.__dict__ = attrs
        cells = old.__closure__
        if not cells or cells is new.__closure__:
            return
        for name, a, b in zip(code.co_freevars, cells, new.__closure__):
            if a is b or name == "__class__":
                continue  # the kept class's cell points at the kept class
            try:
                value = b.cell_contents
            except ValueError:
                try:
                    del a.cell_contents
                except ValueError:
                    pass
                continue
            try:
                was = a.cell_contents
            except ValueError:
                a.cell_contents = value
                self.dirty = True
                continue
            if was is not value:
                if type(value) in _MERGED:
                    kept = self.merge(was, value, where)
                else:
                    kept = value
                    if not self.dirty and _differs(was, value):
                        self.dirty = True
                if kept is not was:
                    a.cell_contents = kept


class _NotUpdated(Exception):
    """A class could not be updated in place; why says why."""

    def __init__(self, why):
        Exception.__init__(self, why)
        self.why = why


def _restore(cls, before, qualname):
    """Give cls back the dict it had (before) and its qualified name."""
    now = dict(cls.__dict__)
    for key in now:
        if key not in before:
            try:
                delattr(cls, key)
            except (AttributeError, TypeError):
                pass
    for key, value in before.items():
        if now.get(key, _MISSING) is not value:
            try:
                setattr(cls, key, value)
            except (AttributeError, TypeError):
                pass
    if cls.__qualname__ != qualname:
        cls.__qualname__ = qualname


def _set_names(cls, before, new):
    """Call __set_name__ on the values of new (a class's new dict) that are
    new to cls (before was its dict), as a class statement does."""
    for key, value in new.items():
        t = type(value)
        if t is not _Function and before.get(key, _MISSING) is not value:
            set_name = getattr(t, "__set_name__", None)
            if set_name is not None:
                set_name(value, cls, key)


def _cache_settings(wrapper):
    try:
        params = getattr(wrapper, "cache_parameters", None)
        typed = params()["typed"] if params is not None else None
        return wrapper.cache_info().maxsize, typed
    except Exception:
        return None


def _count_abstracts(cls):
    """Set cls's abstract methods as ABCMeta does for a new class."""
    names = set()
    for key, value in cls.__dict__.items():
        if getattr(value, "__isabstractmethod__", False):
            names.add(key)
    for base in cls.__bases__:
        for key in getattr(base, "__abstractmethods__", ()):
            if getattr(getattr(cls, key, None), "__isabstractmethod__", False):
                names.add(key)
    cls.__abstractmethods__ = frozenset(names)


def reload(module, patch=True):
    """Reload module from its source, as importlib.reload does (through
    its spec's loader, so that the import system's finders and loaders
    apply), and return (module, report).

    With patch true, what held the module's old code runs the new code:
    old function objects take the new code and stay the ones the module
    holds, classes defined again are updated in place, and top-level names
    the new source no longer binds are taken out. report (a Report) says
    what was patched, replaced and removed. If the reload raises, the
    module's names and classes are put back as they were, no function is
    patched, and the exception propagates unchanged; a KeyboardInterrupt
    leaves what the module ran until then, as importlib.reload does.

    The module returned is what importlib.reload returns (the module
    itself, unless its code put another object in sys.modules). Call
    track(module) once after its first import, so that the first reload
    knows which top-level names the old source bound.

    With patch false, this is importlib.reload, and report is empty; what
    track() noted about the module is dropped."""
    if not patch or not isinstance(module, types.ModuleType):
        forget(getattr(module, "__name__", ""))
        return _importlib_reload(module), Report()
    report = Report()
    ctx = _Reload(module, report)
    spec = getattr(module, "__spec__", None)
    catcher = _CodeCatcher(ctx, spec.name if spec is not None else ctx.name)
    _enter(ctx)
    try:
        sys.meta_path.insert(0, catcher)
        try:
            result = _importlib_reload(module)
        finally:
            catcher.remove()
    except KeyboardInterrupt:
        # Stopped, not failed: a module whose top level runs on (a loop,
        # a server) was interrupted (--restart, Ctrl-C) where it was. What
        # it ran stays, as importlib.reload leaves it; nothing is patched.
        _leave(ctx)
        raise
    except BaseException:
        _leave(ctx)
        ctx.rollback()
        raise
    _leave(ctx)
    try:
        ctx.finish()
    except Exception as e:  # the reload itself went well: say, not raise
        report.replaced.append((ctx.name, "patching stopped: %r" % (e,)))
    return result, report
