#!/usr/bin/env python3
"""What patching costs on a reload: importlib.reload beside patch.reload of
the same small module, side by side in one run, with a small heap and with
2,000,000 live objects in it. Prints the medians and their ratio.

    python3 bench/patch_cost.py [--reloads N] [--objects N]

Bytecode is not written, as under hotload, so every reload compiles the
module's source. The two kinds of reload alternate, so that the machine's
noise falls on both alike.
"""
import argparse
import gc
import importlib
import os
import shutil
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "src", "py"))
import patch  # noqa: E402

TINY = '''\
def foo(y):
    return y + 3


def bar(y):
    return foo(y) * 2


class Baz:
    def bar(self, y):
        return y + 10
'''

SOURCE = '''\
"""A small module: a few functions, a class, a dataclass, an Enum."""
import dataclasses
import enum
import functools

RATE = 3


def foo(y):
    return y + RATE


def bar(x, scale=2):
    return [foo(i) * scale for i in range(x)]


@functools.lru_cache(maxsize=None)
def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


class Color(enum.Enum):
    RED = 1
    GREEN = 2


class Baz:
    kind = "baz"

    def __init__(self, y):
        self.y = y

    def bar(self, y):
        return y + self.y

    @property
    def double(self):
        return self.y * 2

    @classmethod
    def make(cls):
        return cls(1)


@dataclasses.dataclass
class Point:
    x: int
    y: int = 0

    def norm(self):
        return abs(self.x) + abs(self.y)
'''


def measure(module, reloads):
    """Median seconds of importlib.reload and of patch.reload."""
    plain, patched = [], []
    for _ in range(reloads):
        t = time.perf_counter()
        importlib.reload(module)
        plain.append(time.perf_counter() - t)
        t = time.perf_counter()
        patch.reload(module)
        patched.append(time.perf_counter() - t)
    return statistics.median(plain), statistics.median(patched)


def row(label, heap, plain, patched):
    print("%-30s %-10s %8.3f %8.3f %6.2fx" % (
        label, heap, plain * 1e3, patched * 1e3, patched / plain))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reloads", type=int, default=300)
    parser.add_argument("--objects", type=int, default=2000000)
    args = parser.parse_args()
    sys.dont_write_bytecode = True
    tmp = tempfile.mkdtemp(prefix="patch-cost-")
    try:
        for name, source in (("benchtiny", TINY), ("benchlib", SOURCE)):
            with open(os.path.join(tmp, name + ".py"), "w") as f:
                f.write(source)
        sys.path.insert(0, tmp)
        import benchlib
        import benchtiny
        modules = (("2 functions, 1 class", benchtiny),
                   ("+ lru_cache, Enum, dataclass", benchlib))
        for _, module in modules:
            patch.track(module)
            measure(module, 20)  # warm up
        print("Python %s, %d reloads each, medians in ms" % (
            sys.version.split()[0], args.reloads))
        print("%-30s %-10s %8s %8s %7s" % (
            "module", "heap", "reload", "patched", "ratio"))
        for label, module in modules:
            row(label, "small", *measure(module, args.reloads))
        heap = [[None] for _ in range(args.objects)]
        gc.collect()
        for label, module in modules:
            row(label, format(len(heap), ","),
                *measure(module, args.reloads))
        del heap
    finally:
        shutil.rmtree(tmp, True)


if __name__ == "__main__":
    main()
