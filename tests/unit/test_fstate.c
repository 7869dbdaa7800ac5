/*
 * test_fstate.c: change detection, with files changed the ways editors and
 * tools change them: in place, truncated, renamed over, copied with old
 * times, deleted and recreated, chmod-ed; and rewritten with the bytes they
 * held, which is no change.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

#define SEC 1000000000LL
#define MS 1000000LL

static char dir[64];

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* Write text to path in place: the same inode, truncated first. */
static void
write_file(const char *path, const char *text)
{
	size_t n = strlen(text);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd == -1 || write(fd, text, n) != (ssize_t)n || close(fd) != 0)
		die(path);
}

/* Write text to path without truncating: same size, new bytes. */
static void
overwrite_file(const char *path, const char *text)
{
	size_t n = strlen(text);
	int fd = open(path, O_WRONLY);

	if (fd == -1 || write(fd, text, n) != (ssize_t)n || close(fd) != 0)
		die(path);
}

static struct stat
stat_of(const char *path)
{
	struct stat sb;

	if (stat(path, &sb) != 0)
		die(path);
	return sb;
}

static int64_t
ctime_of(const char *path)
{
	struct stat sb = stat_of(path);

	return (int64_t)sb.st_ctim.tv_sec * SEC + sb.st_ctim.tv_nsec;
}

/* Set path's access and modification times to those of sb. */
static void
restore_times(const char *path, const struct stat *sb)
{
	struct timespec ts[2] = {sb->st_atim, sb->st_mtim};

	if (utimensat(AT_FDCWD, path, ts, 0) != 0)
		die(path);
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, ms % 1000 * 1000000};

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/*
 * Rewrite path in place with text, of the same size, and put its old times
 * back; wait first, and again if need be, until its ctime moves on from
 * old_ctime, for file systems whose clock ticks slowly.
 */
static void
rewrite_keeping_mtime(const char *path, const char *text, int64_t old_ctime)
{
	struct stat before = stat_of(path);
	int tries;

	for (tries = 0; tries < 100; tries++) {
		sleep_ms(30);
		overwrite_file(path, text);
		restore_times(path, &before);
		if (ctime_of(path) != old_ctime)
			return;
	}
	fprintf(stderr, "%s: ctime does not move\n", path);
	exit(1);
}

/* The content hash fstate keeps, worked out here (white-box). */
static uint64_t
expected_hash(const char *text)
{
	size_t total = strlen(text);

	return hash_bytes(hash_bytes(0, text, total), &total, sizeof total);
}

static void
test_unchanged(void)
{
	struct fstate st;

	write_file("same.py", "x = 1\n");
	fstate_read(&st, "same.py", now_ns());
	CHECK(st.exists);
	CHECK(st.size == 6);
	CHECK(S_ISREG(st.mode));
	/* Just written, so racy, whether the next looks are or not. */
	CHECK(fstate_update(&st, "same.py", now_ns()) == FS_SAME);
	CHECK(fstate_update(&st, "same.py", now_ns()) == FS_SAME);
	CHECK(fstate_update(&st, "same.py", now_ns() + 10 * SEC) == FS_SAME);
	CHECK(!st.racy);
	CHECK(fstate_update(&st, "same.py", now_ns() + 10 * SEC) == FS_SAME);
	CHECK(fstate_update(&st, "same.py", now_ns() + 20 * SEC) == FS_SAME);
}

static void
test_not_racy(void)
{
	struct fstate st;
	int64_t ct;

	write_file("old.py", "x = 1\n");
	ct = ctime_of("old.py");
	/* Long after the change, the stat is trusted and nothing is hashed. */
	fstate_read(&st, "old.py", ct + 10 * SEC);
	CHECK(st.exists);
	CHECK(!st.racy);
	CHECK(st.hash == 0);
	CHECK(st.ctime_ns == ct);
	/* Right at the change, and just inside the window either side. */
	fstate_read(&st, "old.py", ct);
	CHECK(st.racy);
	CHECK(st.hash == expected_hash("x = 1\n"));
	fstate_read(&st, "old.py", ct + 49 * MS);
	CHECK(st.racy && st.hash != 0);
	fstate_read(&st, "old.py", ct - 49 * MS);
	CHECK(st.racy && st.hash != 0);
	/* Just outside a fine-grained window (whole-second stamps get 2 s). */
	if (ct % SEC != 0) {
		fstate_read(&st, "old.py", ct + 51 * MS);
		CHECK(!st.racy && st.hash == 0);
		fstate_read(&st, "old.py", ct - 51 * MS);
		CHECK(!st.racy && st.hash == 0);
	}
	/* Only regular files are hashed. */
	fstate_read(&st, ".", ctime_of("."));
	CHECK(st.exists && S_ISDIR(st.mode));
	CHECK(!st.racy && st.hash == 0);
}

static void
test_resize(void)
{
	struct fstate st;

	write_file("grow.py", "a\n");
	fstate_read(&st, "grow.py", now_ns());
	write_file("grow.py", "a = 100\n");
	CHECK(fstate_update(&st, "grow.py", now_ns()) == FS_CHANGED);
	CHECK(st.size == 8);
	CHECK(fstate_update(&st, "grow.py", now_ns()) == FS_SAME);

	/* Truncate, look, then write. */
	CHECK(truncate("grow.py", 0) == 0);
	CHECK(fstate_update(&st, "grow.py", now_ns()) == FS_CHANGED);
	CHECK(st.size == 0);
	overwrite_file("grow.py", "b = 200\n");
	CHECK(fstate_update(&st, "grow.py", now_ns()) == FS_CHANGED);
	CHECK(st.size == 8);

	/* Truncate and write back the same size between two looks. */
	write_file("grow.py", "c = 300\n");
	CHECK(fstate_update(&st, "grow.py", now_ns()) == FS_CHANGED);
	CHECK(fstate_update(&st, "grow.py", now_ns()) == FS_SAME);
}

static void
test_same_size(void)
{
	struct fstate st;
	struct stat before, after;
	int64_t old_ctime;

	/*
	 * The hardest case: a same-size rewrite right after a look, with the
	 * old mtime put back. ctime cannot be put back: it moves unless the
	 * two changes fall in the same tick of the file system's clock, and
	 * then the racy rule compares the content. The look is placed at the
	 * first write's ctime, so that it is racy however slow the machine.
	 */
	write_file("same_size.py", "value = 1\n");
	fstate_read(&st, "same_size.py", ctime_of("same_size.py"));
	CHECK(st.racy);
	before = stat_of("same_size.py");
	overwrite_file("same_size.py", "value = 2\n");
	restore_times("same_size.py", &before);
	after = stat_of("same_size.py");
	CHECK(after.st_size == before.st_size);
	CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
	      after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
	CHECK(after.st_ino == before.st_ino);
	CHECK(fstate_update(&st, "same_size.py", now_ns()) == FS_CHANGED);
	CHECK(fstate_update(&st, "same_size.py", now_ns()) == FS_SAME);

	/* Again after a pause, where ctime is seen to move. */
	old_ctime = st.ctime_ns;
	before = stat_of("same_size.py");
	rewrite_keeping_mtime("same_size.py", "value = 3\n", old_ctime);
	after = stat_of("same_size.py");
	CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec &&
	      after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
	CHECK(fstate_update(&st, "same_size.py", now_ns()) == FS_CHANGED);
	CHECK(st.ctime_ns != old_ctime);
	CHECK(fstate_update(&st, "same_size.py", now_ns() + 10 * SEC) ==
	      FS_SAME);
}

static void
test_racy_hash(void)
{
	struct fstate st, other;
	int64_t ct;

	/*
	 * White-box: a state whose stat matches the file but whose hash does
	 * not, as if the content had changed within one clock tick.
	 */
	write_file("racy.py", "one\n");
	ct = ctime_of("racy.py");
	fstate_read(&st, "racy.py", ct);
	CHECK(st.racy);
	CHECK(st.hash == expected_hash("one\n"));

	other = st;
	CHECK(fstate_update(&other, "racy.py", ct) == FS_SAME);
	CHECK(other.racy && other.hash == st.hash);

	other = st;
	other.hash ^= 1;
	CHECK(fstate_update(&other, "racy.py", ct) == FS_CHANGED);
	CHECK(other.hash == st.hash);
	CHECK(fstate_update(&other, "racy.py", ct) == FS_SAME);

	/* The look that settles it may come long after: still hashed. */
	other = st;
	other.hash ^= 1;
	CHECK(fstate_update(&other, "racy.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(!other.racy);
	CHECK(fstate_update(&other, "racy.py", ct + 20 * SEC) == FS_SAME);
	other = st;
	CHECK(fstate_update(&other, "racy.py", ct + 10 * SEC) == FS_SAME);

	/* A state that was not racy trusts its stat and never hashes. */
	other = st;
	other.racy = false;
	other.hash ^= 1;
	CHECK(fstate_update(&other, "racy.py", ct) == FS_SAME);

	/* A real same-size rewrite: the hash sees it if the stat does not. */
	fstate_read(&st, "racy.py", ct);
	overwrite_file("racy.py", "two\n");
	CHECK(fstate_update(&st, "racy.py", ctime_of("racy.py")) == FS_CHANGED);
	CHECK(st.hash == expected_hash("two\n"));
}

static void
test_each_field(void)
{
	struct fstate st, other;
	int64_t ct;

	/*
	 * White-box: a trusted (not racy) state that differs from the file
	 * in one stat field alone is changed, and takes the file's value.
	 */
	write_file("fields.py", "f = 1\n");
	ct = ctime_of("fields.py");
	fstate_read(&st, "fields.py", ct + 10 * SEC);
	CHECK(!st.racy);
	other = st;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_SAME);

	other = st;
	other.dev++;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(other.dev == st.dev);
	other = st;
	other.ino++;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(other.ino == st.ino);
	other = st;
	other.size++;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(other.size == 6);
	other = st;
	other.mtime_ns++;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(other.mtime_ns == st.mtime_ns);
	other = st;
	other.ctime_ns--;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(other.ctime_ns == ct);
	other = st;
	other.mode ^= 0100;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(other.mode == st.mode);
	other = st;
	other.exists = false;
	CHECK(fstate_update(&other, "fields.py", ct + 10 * SEC) == FS_CHANGED);
	CHECK(other.exists);
}

static void
test_ctime_only(void)
{
	struct fstate st;
	struct stat before;

	/*
	 * A trusted state, then a same-size rewrite with the old mtime put
	 * back, late enough for ctime to tick: ctime alone tells.
	 */
	write_file("ctime.py", "c = 1\n");
	before = stat_of("ctime.py");
	fstate_read(&st, "ctime.py", ctime_of("ctime.py") + 10 * SEC);
	CHECK(!st.racy && st.hash == 0);
	rewrite_keeping_mtime("ctime.py", "c = 2\n", st.ctime_ns);
	CHECK(fstate_update(&st, "ctime.py", now_ns() + 10 * SEC) ==
	      FS_CHANGED);
	CHECK(st.size == 6);
	CHECK(st.mtime_ns ==
	      (int64_t)before.st_mtim.tv_sec * SEC + before.st_mtim.tv_nsec);
}

static void
test_rename_over(void)
{
	struct fstate st;
	ino_t old_ino;

	write_file("renamed.py", "v = 1\n");
	fstate_read(&st, "renamed.py", now_ns());
	old_ino = st.ino;
	write_file("renamed.py.tmp", "v = 2\n");
	if (rename("renamed.py.tmp", "renamed.py") != 0)
		die("rename");
	CHECK(fstate_update(&st, "renamed.py", now_ns()) == FS_CHANGED);
	CHECK(st.ino != old_ino);
	CHECK(st.ino == stat_of("renamed.py").st_ino);
	CHECK(fstate_update(&st, "renamed.py", now_ns()) == FS_SAME);

	/* Renamed over by a file with the very same content and times: a new
	 * inode, the same bytes, no change; the new stat is kept. */
	write_file("renamed.py.tmp", "v = 2\n");
	{
		struct stat sb = stat_of("renamed.py");

		restore_times("renamed.py.tmp", &sb);
	}
	old_ino = st.ino;
	if (rename("renamed.py.tmp", "renamed.py") != 0)
		die("rename");
	CHECK(fstate_update(&st, "renamed.py", now_ns()) == FS_SAME);
	CHECK(st.ino != old_ino);
	CHECK(st.ino == stat_of("renamed.py").st_ino);

	/* Renamed over by other bytes of the same size. */
	write_file("renamed.py.tmp", "v = 3\n");
	if (rename("renamed.py.tmp", "renamed.py") != 0)
		die("rename");
	CHECK(fstate_update(&st, "renamed.py", now_ns()) == FS_CHANGED);
}

static void
test_old_mtime(void)
{
	struct fstate st;
	struct timespec past[2] = {{1000000000, 0}, {1000000000, 0}};

	/* cp -p: new content, same size, an mtime from long ago. */
	write_file("copied.py", "k = 1\n");
	fstate_read(&st, "copied.py", now_ns() + 10 * SEC);
	CHECK(!st.racy);
	overwrite_file("copied.py", "k = 2\n");
	if (utimensat(AT_FDCWD, "copied.py", past, 0) != 0)
		die("utimensat");
	CHECK(fstate_update(&st, "copied.py", now_ns() + 10 * SEC) ==
	      FS_CHANGED);
	CHECK(st.mtime_ns == 1000000000 * SEC);
	CHECK(fstate_update(&st, "copied.py", now_ns() + 10 * SEC) == FS_SAME);

	/* Only the time moves back, over the same bytes: no change, and the
	 * new stat is kept. */
	past[1].tv_sec = 900000000;
	if (utimensat(AT_FDCWD, "copied.py", past, 0) != 0)
		die("utimensat");
	CHECK(fstate_update(&st, "copied.py", now_ns() + 10 * SEC) == FS_SAME);
	CHECK(st.mtime_ns == 900000000 * SEC);
	CHECK(fstate_update(&st, "copied.py", now_ns() + 10 * SEC) == FS_SAME);
}

static void
test_delete(void)
{
	struct fstate st;

	write_file("gone.py", "g\n");
	fstate_read(&st, "gone.py", now_ns());
	CHECK(st.exists);
	CHECK(unlink("gone.py") == 0);
	CHECK(fstate_update(&st, "gone.py", now_ns()) == FS_GONE);
	CHECK(!st.exists);
	CHECK(fstate_update(&st, "gone.py", now_ns()) == FS_SAME);
	CHECK(fstate_update(&st, "gone.py", now_ns()) == FS_SAME);
	write_file("gone.py", "g\n");
	CHECK(fstate_update(&st, "gone.py", now_ns()) == FS_CHANGED);
	CHECK(st.exists);
	CHECK(fstate_update(&st, "gone.py", now_ns()) == FS_SAME);

	/* Missing from the first look, then created. */
	fstate_read(&st, "never.py", now_ns());
	CHECK(!st.exists && !st.racy && st.hash == 0);
	CHECK(fstate_update(&st, "never.py", now_ns()) == FS_SAME);
	write_file("never.py", "");
	CHECK(fstate_update(&st, "never.py", now_ns()) == FS_CHANGED);
	CHECK(st.exists && st.size == 0);
	CHECK(fstate_update(&st, "never.py", now_ns()) == FS_SAME);
}

static void
test_chmod(void)
{
	struct fstate st;

	write_file("mode.py", "m\n");
	CHECK(chmod("mode.py", 0600) == 0);
	fstate_read(&st, "mode.py", now_ns() + 10 * SEC);
	CHECK((st.mode & 07777) == 0600);
	CHECK(chmod("mode.py", 0755) == 0);
	CHECK(fstate_update(&st, "mode.py", now_ns() + 10 * SEC) == FS_CHANGED);
	CHECK((st.mode & 07777) == 0755);
	CHECK(fstate_update(&st, "mode.py", now_ns() + 10 * SEC) == FS_SAME);
}

/* Set path's modification time to sec seconds since the epoch. */
static void
set_mtime(const char *path, time_t sec)
{
	struct timespec ts[2] = {{0, UTIME_OMIT}, {sec, 0}};

	if (utimensat(AT_FDCWD, path, ts, 0) != 0)
		die("utimensat");
}

static void
test_same_bytes(void)
{
	struct fstate st;
	ino_t ino;

	/*
	 * Writers that put back the bytes a file held: touch, a formatter
	 * that found nothing to change, an editor saving an unchanged buffer
	 * in place or by a rename. None is a change, once the file's content
	 * is known; every look is trusted (not racy), so only the hash tells.
	 */
	write_file("fmt.py", "x = 1\n");
	fstate_read(&st, "fmt.py", now_ns() + 10 * SEC);
	CHECK(!st.racy && st.hash == 0);
	/* A save the user makes: a change, whose content is now known. */
	write_file("fmt.py", "x = 22\n");
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_CHANGED);
	CHECK(st.hash == expected_hash("x = 22\n"));

	set_mtime("fmt.py", 1000000000);
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_SAME);
	CHECK(st.mtime_ns == 1000000000 * SEC);
	set_mtime("fmt.py", 1100000000);
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_SAME);

	write_file("fmt.py", "x = 22\n");
	set_mtime("fmt.py", 1200000000);
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_SAME);
	CHECK(st.mtime_ns == 1200000000 * SEC);

	ino = st.ino;
	write_file("fmt.py.tmp", "x = 22\n");
	if (rename("fmt.py.tmp", "fmt.py") != 0)
		die("rename");
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_SAME);
	CHECK(st.ino != ino);
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_SAME);

	/* Other bytes of the same size: a change. */
	overwrite_file("fmt.py", "y = 22\n");
	set_mtime("fmt.py", 1300000000);
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_CHANGED);
	CHECK(st.hash == expected_hash("y = 22\n"));
	/* The same bytes with another mode: a change (a script made
	 * executable may now run). */
	CHECK(chmod("fmt.py", 0755) == 0);
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_CHANGED);
	/* Gone and back with the same bytes: back is a change. */
	CHECK(unlink("fmt.py") == 0);
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_GONE);
	write_file("fmt.py", "y = 22\n");
	CHECK(fstate_update(&st, "fmt.py", now_ns() + 10 * SEC) == FS_CHANGED);
}

static void
test_same_bytes_unknown_content(void)
{
	struct fstate st;
	char *big;
	size_t n = 256 * 1024 + 1;
	int fd;

	/* A file not changed since it was first seen has no hash yet: its
	 * first rewrite counts, and lets the next ones be compared. */
	write_file("first.py", "f = 1\n");
	fstate_read(&st, "first.py", now_ns() + 10 * SEC);
	CHECK(st.hash == 0);
	set_mtime("first.py", 1000000000);
	CHECK(fstate_update(&st, "first.py", now_ns() + 10 * SEC) ==
	      FS_CHANGED);
	CHECK(st.hash == expected_hash("f = 1\n"));
	set_mtime("first.py", 1100000000);
	CHECK(fstate_update(&st, "first.py", now_ns() + 10 * SEC) == FS_SAME);

	/* A large file is not read at each change: every rewrite counts. */
	big = calloc(1, n);
	if (big == NULL)
		die("calloc");
	fd = open("big.bin", O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd == -1 || write(fd, big, n) != (ssize_t)n || close(fd) != 0)
		die("big.bin");
	fstate_read(&st, "big.bin", now_ns() + 10 * SEC);
	set_mtime("big.bin", 1000000000);
	CHECK(fstate_update(&st, "big.bin", now_ns() + 10 * SEC) == FS_CHANGED);
	CHECK(st.hash == 0);
	set_mtime("big.bin", 1100000000);
	CHECK(fstate_update(&st, "big.bin", now_ns() + 10 * SEC) == FS_CHANGED);
	free(big);

	/* Directories are never read. */
	CHECK(mkdir("sub", 0755) == 0);
	fstate_read(&st, "sub", now_ns() + 10 * SEC);
	CHECK(chmod("sub", 0700) == 0);
	CHECK(fstate_update(&st, "sub", now_ns() + 10 * SEC) == FS_CHANGED);
	CHECK(st.hash == 0);
}

int
main(void)
{
	char cmd[128];

	snprintf(dir, sizeof dir, "/tmp/hotload-unit-XXXXXX");
	if (mkdtemp(dir) == NULL || chdir(dir) != 0)
		die("mkdtemp");
	test_unchanged();
	test_not_racy();
	test_resize();
	test_same_size();
	test_racy_hash();
	test_each_field();
	test_ctime_only();
	test_rename_over();
	test_old_mtime();
	test_delete();
	test_chmod();
	test_same_bytes();
	test_same_bytes_unknown_content();
	if (chdir("/") != 0)
		die("/");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return CHECK_DONE();
}
