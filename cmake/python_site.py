"""Print where `cmake --install` puts the hotload module, relative to the
install prefix given as argv[1]: the directory this python installs
platform-specific packages into, taken relative to that prefix or, when
it lies elsewhere, to the python's own prefix. Debian's python, for one,
installs into /usr/local/lib/python3.X/dist-packages, which is
lib/python3.X/dist-packages below the prefix /usr/local; installed below
its own prefix /usr (as a package is), the module goes where Debian's own
packages put theirs, /usr/lib/python3/dist-packages."""

import os
import sys
import sysconfig

site = sysconfig.get_path("platlib")
if "deb_system" in sysconfig.get_scheme_names() and os.path.realpath(
        sys.argv[1]) == os.path.realpath(sys.prefix):
    site = sysconfig.get_path("platlib", "deb_system")
for base in (sys.argv[1], sys.prefix, sys.exec_prefix, sys.base_prefix):
    rel = os.path.relpath(site, base)
    if rel != ".." and not rel.startswith(".." + os.sep):
        break
else:
    rel = sysconfig.get_path("platlib", vars={"platbase": ".", "base": "."})
    rel = os.path.normpath(rel)
print(rel)
