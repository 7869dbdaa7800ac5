"""check_layers.py: no source file calls a function of a file above it.

The files of src/ stand in layers, lowest first (LAYERS below). Reading the
object files the build made with nm, this lists every call from one file to
another and fails if one goes up, or if a file is missing from LAYERS. What
a lower file needs from a higher one it gets through a hook registered at
start (host.c, sig_set_interrupt), which nm does not see as a call.

usage: check_layers.py BUILD_DIR [-v]
"""

import os
import subprocess
import sys

# Lowest first. Files on one line form one layer: they may call each
# other (the watcher's interface and its backends).
LAYERS = [
    ["util"],
    ["fstate"],
    ["ignore"],
    ["filelist"],
    ["term"],
    ["sig"],
    ["watch_fs"],
    ["watch", "watch_poll", "watch_inotify"],
    ["options"],
    ["events"],
    ["host"],
    ["command"],
    ["round"],
    ["loop"],
    ["pyauto"],
    ["pywrites"],
    ["pyrun"],
    ["pymodule"],
    ["pyhost"],
    ["main"],
]


def objects(build):
    """Map each source file's name (no .c) to its object file."""
    found = {}
    top = os.path.join(build, "CMakeFiles")
    for target in os.listdir(top):
        src = os.path.join(top, target, "src")
        if target.startswith("hotload") and os.path.isdir(src):
            for f in os.listdir(src):
                if f.endswith(".c.o"):
                    found[f[:-4]] = os.path.join(src, f)
    return found


def symbols(path):
    """The functions path defines, and the ones it uses undefined."""
    out = subprocess.run(["nm", path], capture_output=True, text=True,
                         check=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "TDRB":
            defined.add(parts[2])
        elif len(parts) == 2 and parts[0] == "U":
            used.add(parts[1])
    return defined, used


def main():
    build = sys.argv[1]
    verbose = "-v" in sys.argv[2:]
    rank = {name: i for i, layer in enumerate(LAYERS) for name in layer}
    objs = objects(build)
    problems = [f"{name}.c is in no layer: add it to LAYERS"
                for name in sorted(objs) if name not in rank]
    owner, uses = {}, {}
    for name, path in objs.items():
        defined, used = symbols(path)
        uses[name] = used
        for sym in defined:
            owner[sym] = name
    for name in sorted(objs, key=lambda n: rank.get(n, -1)):
        callees = {}
        for sym in sorted(uses[name]):
            other = owner.get(sym)
            if other is not None and other != name:
                callees.setdefault(other, []).append(sym)
        for other, syms in sorted(callees.items(),
                                  key=lambda kv: rank.get(kv[0], -1)):
            if verbose:
                print(f"{name}.c -> {other}.c: {', '.join(syms)}")
            if rank.get(other, -1) > rank.get(name, -1):
                problems.append(f"{name}.c calls up into {other}.c: "
                                f"{', '.join(syms)}")
    if len(objs) < 10:
        problems.append(f"found only {len(objs)} object files in {build}")
    for p in problems:
        print("layers: " + p)
    print(f"layers: {len(objs)} files, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
