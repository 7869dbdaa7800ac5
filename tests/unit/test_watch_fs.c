/*
 * test_watch_fs.c: which file systems count as remote (watch_fs.c), and
 * the directories of a list classified by their file system (watch.c).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

/* A path that cannot be looked at has no kind yet, and no name. */
static void
test_missing(void)
{
	char name[30] = "x";

	CHECK(watch_fs_kind("/nonexistent/hotload-unit", name, sizeof name) ==
	      WATCH_FS_UNKNOWN);
	CHECK_STR(name, "");
	watch_fs_refresh("/nonexistent/hotload-unit/a.py"); /* harmless */
}

/* A name always fits, cut if it must be. */
static void
test_short_name(void)
{
	char name[4];

	if (watch_fs_kind("/", name, sizeof name) != WATCH_FS_UNKNOWN)
		CHECK(strlen(name) < sizeof name);
}

#ifdef __linux__
/* proc's files change with no event: a type not known to be local. */
static void
test_unknown_type_is_remote(void)
{
	char name[30];

	if (access("/proc/self", F_OK) != 0)
		return;
	CHECK(watch_fs_kind("/proc", name, sizeof name) == WATCH_FS_REMOTE);
	CHECK_STR(name, "unknown (0x9fa0)");
}

/* tmpfs is local (where /dev/shm is one). */
static void
test_tmpfs_is_local(void)
{
	char name[30];

	if (watch_fs_kind("/dev/shm", name, sizeof name) == WATCH_FS_UNKNOWN ||
	    strcmp(name, "tmpfs") != 0)
		return;
	CHECK(watch_fs_kind("/dev/shm", name, sizeof name) == WATCH_FS_LOCAL);
}

/*
 * A list with a file in a local directory and one in /proc: only the
 * second directory is remote, and a file missing with its directory is
 * classified once the directory is there.
 */
static void
test_classify(void)
{
	char tmpl[] = "/tmp/hotload-unit-XXXXXX", path[128], name[30];
	struct filelist fl;
	struct watch w;
	size_t a, p, m;
	FILE *fp;

	if (mkdtemp(tmpl) == NULL || access("/proc/self/status", F_OK) != 0 ||
	    watch_fs_kind(tmpl, name, sizeof name) != WATCH_FS_LOCAL) {
		rmdir(tmpl);
		return;
	}
	CHECK(chdir(tmpl) == 0);
	CHECK(filelist_init(&fl, NULL, 0) == 0);
	snprintf(path, sizeof path, "%s/a.py", tmpl);
	CHECK((fp = fopen(path, "w")) != NULL && fclose(fp) == 0);
	filelist_add(&fl, path, true);
	filelist_add(&fl, "/proc/self/status", true);
	snprintf(path, sizeof path, "%s/later/b.py", tmpl);
	filelist_add(&fl, path, true);
	a = fl.v[0].dir;
	p = fl.v[1].dir;
	m = fl.v[2].dir;

	memset(&w, 0, sizeof w);
	w.files = &fl;
	watch_classify(&w, false);
	CHECK(w.nfs == fl.ndirs);
	CHECK(!watch_remote(&w, a));
	CHECK(watch_remote(&w, p));
	CHECK(!watch_remote(&w, m));
	CHECK(w.fs[m].kind == WATCH_FS_UNKNOWN);
	CHECK(w.remote_gen == 1);
	/* Beyond the directories classified: not remote. */
	CHECK(!watch_remote(&w, fl.ndirs + 5));

	snprintf(path, sizeof path, "%s/later", tmpl);
	CHECK(mkdir(path, 0755) == 0);
	watch_classify(&w, false); /* new directories only */
	CHECK(w.fs[m].kind == WATCH_FS_UNKNOWN);
	watch_classify(&w, true);
	CHECK(w.fs[m].kind == WATCH_FS_LOCAL);
	CHECK(w.remote_gen == 1);

	free(w.fs);
	filelist_free(&fl);
	rmdir(path);
	snprintf(path, sizeof path, "%s/a.py", tmpl);
	unlink(path);
	rmdir(tmpl);
}
#endif

int
main(void)
{
	test_missing();
	test_short_name();
#ifdef __linux__
	test_unknown_type_is_remote();
	test_tmpfs_is_local();
	test_classify();
#endif
	return CHECK_DONE();
}
