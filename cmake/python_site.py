"""Print where `cmake --install` puts the hotload module, relative to the
install prefix given as argv[1]: the directory this python installs
platform-specific packages into, taken relative to that prefix or, when
it lies elsewhere, to the python's own prefix. Debian's python, for one,
installs into /usr/local/lib/python3.X/dist-packages, which is
lib/python3.X/dist-packages below the prefix /usr/local, and below any
other prefix but two: below its own prefix /usr (as a package is), the
module goes where Debian's own packages put theirs,
/usr/lib/python3/dist-packages; below the user's base (~/.local, a
per-user install), to the user's site-packages, which that python reads
(for Debian's too, it is site-packages, not dist-packages)."""

import os
import site as site_module
import sys
import sysconfig

prefix = os.path.realpath(sys.argv[1])
site = sysconfig.get_path("platlib")
if "deb_system" in sysconfig.get_scheme_names() and prefix == \
        os.path.realpath(sys.prefix):
    site = sysconfig.get_path("platlib", "deb_system")
elif prefix == os.path.realpath(site_module.getuserbase()):
    site = site_module.getusersitepackages()
# Debian's python installs below sys.prefix/local: taken from there, a
# prefix of one's own gets lib/python3.X/dist-packages too.
for base in (sys.argv[1], os.path.join(sys.prefix, "local"), sys.prefix,
             sys.exec_prefix, sys.base_prefix):
    rel = os.path.relpath(site, base)
    if rel != ".." and not rel.startswith(".." + os.sep):
        break
else:
    rel = sysconfig.get_path("platlib", vars={"platbase": ".", "base": "."})
    rel = os.path.normpath(rel)
print(rel)
