# launch.py: reload mymath.py on every save and show what changed.
#
# Run it from this directory with the hotload module on the path:
#
#     PYTHONPATH=../../build/python python3 launch.py
#
# The step below is a ReloadedPythonModule with both hooks overridden:
# pre_reload_hook is handed the module as it was before the save (the old
# code, still loaded), post_reload_hook the module just imported or
# reloaded. Between the two, the table shows what the edit did.
import inspect

import hotload

ARGS = range(1, 9)


def results(module):
    """{name: [f(n) for n in ARGS]} for each public function f of module;
    a function that raises gets the exception's name instead."""
    table = {}
    for name, f in vars(module).items():
        if (inspect.isfunction(f) and not name.startswith("_")
                and f.__module__ == module.__name__):
            try:
                table[name] = [f(n) for n in ARGS]
            except Exception as e:
                table[name] = [type(e).__name__]
    return table


def row(width, name, values):
    """One line of the table: the name, then the values in columns."""
    return "%*s %s" % (width, name, " ".join("%5s" % (v,) for v in values))


class ShowChanges(hotload.ReloadedPythonModule):
    """Print a table of the module's results after each load, marking the
    rows that differ from the version loaded before."""

    old = None  # the results of the last version, once there is one

    def pre_reload_hook(self, module):
        # Not called before the first import: there is no old version yet.
        self.old = results(module)
        print("reloading %s; the old version had %d functions"
              % (module.__name__, len(self.old)))

    def post_reload_hook(self, module):
        new = results(module)
        width = max(len(name) for name in ["n"] + list(new))
        print(row(width, "n", ARGS))
        for name, values in new.items():
            if self.old is None or self.old.get(name) == values:
                mark = ""
            elif name not in self.old:
                mark = "  (new)"
            else:
                mark = "  (changed)"
            print(row(width, name, values) + mark)


hotload.hotload(
    watch=[hotload.listfiles(".", ext=".py")],
    steps=[
        hotload.ClearTerminal(),
        ShowChanges.from_module_name("mymath"),
    ],
)
