/*
 * fstate.c: change detection. A file has changed when any of its device,
 * inode, size, mtime, ctime or mode differs from what was last seen; equal
 * times are not trusted for a file changed moments before it was seen, since
 * file systems stamp times with a coarse clock (git's "racy" rule): such a
 * file's content is hashed and compared instead.
 *
 * A file rewritten with the very bytes it held (touch, a formatter that
 * found nothing to change, an editor saving an unchanged buffer, git
 * checking out the same content) has not changed: the content of a small
 * file is hashed each time its stat is seen to change, and a new stat with
 * the same size, mode and hash is no change. A file that never changed
 * since it was first seen has no hash yet, so its first such rewrite still
 * counts; hashing every file at start would cost a read of each.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

#ifdef __APPLE__
#define st_mtim st_mtimespec
#define st_ctim st_ctimespec
#endif

/* How close to "now" a change must be for its timestamps to be doubted. */
#define RACY_FINE_NS (50 * 1000000LL)
#define RACY_COARSE_NS (2 * 1000000000LL) /* whole-second stamps, FAT */
#define HASH_MAX_BYTES (64 * 1024 * 1024)
/* The largest file whose content is hashed at a change, to tell a rewrite
 * of the same bytes: source files are far smaller. */
#define HASH_KEEP_BYTES (256 * 1024)

static bool
is_racy(const struct fstate *st, int64_t now)
{
	int64_t window, age;

	if (!st->exists || !S_ISREG(st->mode))
		return false;
	window = st->ctime_ns % 1000000000 == 0 ? RACY_COARSE_NS : RACY_FINE_NS;
	age = now - st->ctime_ns;
	return age < window && age > -window;
}

/* Return a hash of a regular file's content, or 0 if it cannot be read. */
static uint64_t
content_hash(const char *path)
{
	char buf[65536];
	uint64_t h = 0;
	size_t total = 0;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd == -1)
		return 0;
	while (total < HASH_MAX_BYTES) {
		n = read(fd, buf, sizeof buf);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		h = hash_bytes(h, buf, (size_t)n);
		total += (size_t)n;
	}
	close(fd);
	return hash_bytes(h, &total, sizeof total);
}

/* Fill st with what path looks like now; now is the wall-clock time. */
void
fstate_read(struct fstate *st, const char *path, int64_t now)
{
	struct stat sb;

	memset(st, 0, sizeof *st);
	if (stat(path, &sb) != 0)
		return;
	st->exists = true;
	st->dev = sb.st_dev;
	st->ino = sb.st_ino;
	st->size = sb.st_size;
	st->mode = sb.st_mode;
	st->mtime_ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 +
		       sb.st_mtim.tv_nsec;
	st->ctime_ns = (int64_t)sb.st_ctim.tv_sec * 1000000000 +
		       sb.st_ctim.tv_nsec;
	st->racy = is_racy(st, now);
	if (st->racy)
		st->hash = content_hash(path);
}

static bool
same_stat(const struct fstate *a, const struct fstate *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime_ns == b->mtime_ns && a->ctime_ns == b->ctime_ns &&
	       a->mode == b->mode;
}

/*
 * Take the hash of the content of a file whose stat changed, if it is a
 * small regular file and not hashed yet, so that its next rewrite can be
 * compared with it. The content may be newer than the stat: the next look
 * then sees the same content under a newer stat, which is no change, and
 * the round that follows this look reads that newer content anyway.
 */
static void
hash_changed(struct fstate *cur, const char *path)
{
	if (cur->hash == 0 && S_ISREG(cur->mode) &&
	    cur->size <= HASH_KEEP_BYTES)
		cur->hash = content_hash(path);
}

/*
 * Look at path again and update st. Return FS_CHANGED if it appeared or its
 * content or mode changed, FS_GONE if it disappeared, FS_SAME otherwise.
 */
enum fchange
fstate_update(struct fstate *st, const char *path, int64_t now)
{
	struct fstate cur;
	bool was_racy = st->racy;
	uint64_t old_hash = st->hash;

	fstate_read(&cur, path, now);
	if (!cur.exists) {
		if (!st->exists)
			return FS_SAME;
		*st = cur;
		return FS_GONE;
	}
	if (!st->exists || !same_stat(st, &cur)) {
		hash_changed(&cur, path);
		/* The same bytes written again: a new stat, no change. */
		if (st->exists && old_hash != 0 && cur.hash == old_hash &&
		    cur.size == st->size && cur.mode == st->mode) {
			*st = cur;
			return FS_SAME;
		}
		*st = cur;
		return FS_CHANGED;
	}
	if (!was_racy)
		return FS_SAME;
	/* Same stat, but the last look was too close to a change to trust. */
	if (!cur.racy)
		cur.hash = content_hash(path);
	*st = cur;
	return cur.hash == old_hash ? FS_SAME : FS_CHANGED;
}
