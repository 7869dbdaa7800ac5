/*
 * watch_inotify.c: the Linux backend. One inotify instance, one watch per
 * directory that holds a watched file (not per file, so that a file replaced
 * by rename, or deleted and made again, stays watched). An event makes
 * hotload look again at the one file it names, and the stat comparison of
 * watch.c decides whether it changed. Files on file systems that send no
 * events for the changes made on their other side (network and FUSE file
 * systems, watch_fs.c) are polled too, unless --watcher=inotify was asked
 * for. A slow sweep over every file catches what events miss (a full event
 * queue).
 */
#define _XOPEN_SOURCE 700 /* realpath */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

#define DIR_EVENTS                                                             \
	(IN_CLOSE_WRITE | IN_MODIFY | IN_ATTRIB | IN_CREATE | IN_DELETE |      \
	 IN_MOVED_FROM | IN_MOVED_TO | IN_DELETE_SELF | IN_MOVE_SELF |         \
	 IN_ONLYDIR)

/* A save is over when no event comes for this long after it... */
#define QUIET_NS (200 * 1000LL)
/* ...or for this long, while a file written to has not been closed yet. */
#define WRITER_QUIET_NS (30 * 1000000LL)
/* The safety sweep takes at most 1/SAFETY_SHARE of the time. */
#define SAFETY_MIN_NS (2 * 1000000000LL)
#define SAFETY_SHARE 2000
/* Directories that could not be watched are tried again this often. */
#define RETRY_NS (250 * 1000000LL)

struct ino {
	int fd;
	size_t *wd_dir; /* watch descriptor -> directory + 1, or 0 */
	size_t nwd;
	size_t *dir_next;    /* directory -> next one with its watch, + 1 */
	size_t ndirs_synced; /* directories a watch was tried for */
	size_t nwatches;
	size_t max_watches;
	bool unwatched;        /* some directory has no watch */
	struct strmap targets; /* target of a watched symlink -> file */
	char **target_keys;
	size_t ntargets;
	unsigned char *writing; /* file -> written to and not closed yet */
	size_t nwriting;
	size_t capwriting;
	struct changes touched; /* files named by the events being read */
	int64_t next_safety;
	int64_t next_retry;
	struct pollset *remote; /* the files on remote file systems, or NULL */
	unsigned told_gen;      /* w->remote_gen when they were last told */
};

static void fallback(struct watch *, const char *);

static int64_t
limit_of(const char *name)
{
	char path[128], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof path, "/proc/sys/fs/inotify/%s", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -1)
		return -1;
	n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}

/* Explain why inotify cannot serve, and what would let it. */
static void
explain(struct ino *s, int error, char *buf, size_t len)
{
	const char *name =
	    error == EMFILE ? "max_user_instances" : "max_user_watches";
	int64_t limit = limit_of(name);

	if (error == ENOSPC && s->nwatches >= s->max_watches &&
	    getenv("HOTLOAD_MAX_WATCHES") != NULL)
		snprintf(buf, len,
		         "it would need more than HOTLOAD_MAX_WATCHES=%zu "
		         "watches",
		         s->max_watches);
	else if (error == ENOSPC || error == EMFILE)
		snprintf(
		    buf, len,
		    "the limit of %lld inotify %s per user "
		    "(fs.inotify.%s) is used up, by hotload and other "
		    "programs; to raise it: sudo sysctl fs.inotify.%s=%lld",
		    (long long)limit, error == EMFILE ? "instances" : "watches",
		    name, name, (long long)(limit > 0 ? limit * 4 : 524288));
	else
		snprintf(buf, len, "%s", strerror(error));
}

static size_t
dir_of(struct ino *s, int wd)
{
	return wd >= 0 && (size_t)wd < s->nwd ? s->wd_dir[wd] : 0;
}

/*
 * Watch directory d. Returns 0, also when d cannot be watched for now (it
 * is missing, say), or -1 with errno when inotify is out of watches.
 */
static int
add_watch(struct watch *w, size_t d)
{
	struct ino *s = w->priv;
	struct wdir *dir = &w->files->dirs[d];
	size_t first;
	int wd;

	if (s->nwatches >= s->max_watches) {
		errno = ENOSPC;
		return -1;
	}
	wd = inotify_add_watch(s->fd, dir->path, DIR_EVENTS);
	if (wd == -1) {
		if (errno == ENOSPC || errno == ENOMEM)
			return -1;
		dir->wd = -1;
		s->unwatched = true;
		return 0;
	}
	dir->wd = wd;
	s->wd_dir =
	    grow_zeroed(s->wd_dir, &s->nwd, (size_t)wd, sizeof *s->wd_dir);
	/* Two paths to one directory share a watch; chain them. */
	first = s->wd_dir[wd];
	if (first == 0) {
		s->nwatches++;
	} else {
		size_t k;

		for (k = first; k != 0; k = s->dir_next[k - 1])
			if (k - 1 == d)
				return 0;
	}
	s->dir_next[d] = first;
	s->wd_dir[wd] = d + 1;
	return 0;
}

/*
 * Find the file systems of directories new to the list (with retry, of
 * those that could not be looked at before), tell of the remote ones, and
 * poll their files.
 */
static void
sync_remote(struct watch *w, bool retry)
{
	struct ino *s = w->priv;

	watch_classify(w, retry);
	if (s->told_gen != w->remote_gen) {
		s->told_gen = w->remote_gen;
		watch_tell_remote(w);
	}
	if (s->remote != NULL)
		pollset_sync(s->remote);
}

/* Watch the directories added to the list since the last call. */
static int
sync_dirs(struct watch *w)
{
	struct ino *s = w->priv;
	struct filelist *fl = w->files;

	if (fl->ndirs > s->ndirs_synced) {
		s->dir_next = xreallocarray(s->dir_next, fl->capdirs,
		                            sizeof *s->dir_next);
		for (; s->ndirs_synced < fl->ndirs; s->ndirs_synced++) {
			s->dir_next[s->ndirs_synced] = 0;
			if (add_watch(w, s->ndirs_synced) != 0)
				return -1;
		}
		sync_remote(w, false);
	}
	return 0;
}

/*
 * For the watched files from position first on that are symbolic links,
 * watch their target's directory too, so that a change to the target is
 * seen as a change to the link.
 */
static void
track_links(struct watch *w, size_t first)
{
	struct ino *s = w->priv;
	struct filelist *fl = w->files;
	char *target, *slash;
	struct stat sb;
	size_t i;

	for (i = first; i < fl->n; i++) {
		if (lstat(fl->v[i].path, &sb) != 0 || !S_ISLNK(sb.st_mode))
			continue;
		target = realpath(fl->v[i].path, NULL);
		if (target == NULL ||
		    strmap_get(&s->targets, target) != STRMAP_NONE) {
			free(target);
			continue;
		}
		s->target_keys = xreallocarray(s->target_keys, s->ntargets + 1,
		                               sizeof *s->target_keys);
		s->target_keys[s->ntargets++] = target;
		strmap_put(&s->targets, target, i);
		slash = strrchr(target, '/');
		*slash = '\0';
		filelist_dir(fl, slash == target ? "/" : target, false);
		*slash = '/';
	}
}

static void
note_writing(struct ino *s, size_t i, bool open)
{
	s->writing = grow_zeroed(s->writing, &s->capwriting, i, 1);
	if (s->writing[i] != open) {
		s->writing[i] = open;
		if (open)
			s->nwriting++;
		else
			s->nwriting--;
	}
}

/* Mark every file of directory d to be looked at again. */
static void
touch_dir(struct watch *w, size_t d)
{
	struct ino *s = w->priv;
	struct filelist *fl = w->files;
	size_t i;

	for (i = 0; i < fl->n; i++)
		if (fl->v[i].dir == d)
			changes_add(&s->touched, i);
}

/* A directory's watch ended (it was deleted or moved away). */
static void
lose_dir(struct watch *w, int wd)
{
	struct ino *s = w->priv;
	size_t k = dir_of(s, wd), next;

	s->wd_dir[wd] = 0;
	if (k != 0)
		s->nwatches--;
	for (; k != 0; k = next) {
		next = s->dir_next[k - 1];
		w->files->dirs[k - 1].wd = -1;
		s->dir_next[k - 1] = 0;
		touch_dir(w, k - 1);
	}
	s->unwatched = true;
}

/* A name was created in, or moved into, directory d. */
static void
appeared(struct watch *w, size_t d, const char *name, const char *path)
{
	struct filelist *fl = w->files;
	size_t known = strmap_get(&fl->dirindex, path);

	if (known != STRMAP_NONE && fl->dirs[known].wd == -1) {
		/* A watched directory came back: watch it, look again. */
		if (add_watch(w, known) == 0)
			touch_dir(w, known);
		if (fl->dirs[known].root)
			filelist_rescan(fl, known);
	}
	filelist_discover(fl, d, name);
}

/* Handle one event. */
static void
handle(struct watch *w, const struct inotify_event *ev, bool *overflow)
{
	struct ino *s = w->priv;
	struct filelist *fl = w->files;
	char buf[PATH_MAX + NAME_MAX + 2], *path = buf;
	size_t k, i, t, need;

	if (ev->mask & IN_Q_OVERFLOW) {
		*overflow = true;
		return;
	}
	if (ev->mask & IN_IGNORED) {
		if (dir_of(s, ev->wd) != 0)
			lose_dir(w, ev->wd);
		return;
	}
	if (ev->mask & IN_MOVE_SELF) {
		/* The watch would follow the directory to its new name. */
		inotify_rm_watch(s->fd, ev->wd);
		return;
	}
	if (ev->len == 0)
		return;
	for (k = dir_of(s, ev->wd); k != 0; k = s->dir_next[k - 1]) {
		const char *dir = fl->dirs[k - 1].path;

		need = strlen(dir) + strlen(ev->name) + 2;
		if (need > sizeof buf)
			path = xmalloc(need);
		snprintf(path, need, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "",
		         ev->name);
		i = strmap_get(&fl->index, path);
		t = strmap_get(&s->targets, path);
		if (i != STRMAP_NONE) {
			changes_add(&s->touched, i);
			if (ev->mask & (IN_MODIFY | IN_CREATE))
				note_writing(s, i, true);
			if (ev->mask & IN_CLOSE_WRITE)
				note_writing(s, i, false);
		}
		if (t != STRMAP_NONE)
			changes_add(&s->touched, t);
		if (ev->mask & (IN_CREATE | IN_MOVED_TO))
			appeared(w, k - 1, ev->name, path);
		if (path != buf)
			free(path);
		path = buf;
	}
}

/* Look at every file; read every root directory that changed; re-watch. */
static int
safety_sweep(struct watch *w, struct changes *out)
{
	struct ino *s = w->priv;
	size_t first = w->files->n;
	int n = watch_sweep(w, out);
	int64_t every = w->sweep_cost_ns * SAFETY_SHARE;

	s->next_safety =
	    mono_ns() + (every > SAFETY_MIN_NS ? every : SAFETY_MIN_NS);
	track_links(w, first);
	if (sync_dirs(w) != 0)
		fallback(w, NULL);
	else
		sync_remote(w, true);
	return n;
}

/* Try again to watch the directories that have no watch. */
static int
retry_unwatched(struct watch *w, struct changes *out)
{
	struct ino *s = w->priv;
	struct filelist *fl = w->files;
	size_t d, first = fl->n, ndirs = fl->ndirs;
	int count = 0;

	s->unwatched = false;
	s->next_retry = mono_ns() + RETRY_NS;
	for (d = 0; d < ndirs; d++) {
		if (fl->dirs[d].wd != -1)
			continue;
		if (add_watch(w, d) != 0) {
			fallback(w, NULL);
			return 0;
		}
		if (fl->dirs[d].wd == -1)
			continue;
		touch_dir(w, d);
		if (fl->dirs[d].root)
			filelist_rescan(fl, d);
	}
	for (d = 0; d < s->touched.n; d++)
		count += watch_update(w, s->touched.idx[d], now_ns(), out);
	changes_clear(&s->touched);
	count += watch_adopt(w, first, out);
	sync_remote(w, true);
	return count;
}

/*
 * Poll the files on remote file systems: the looks that are due, or with
 * last, the one that ends the wait for the end of burst. Files and
 * directories new in their root directories are watched. Returns how many
 * changes were added to out.
 */
static int
poll_remote(struct watch *w, struct changes *out, bool last,
            const struct changes *burst)
{
	struct ino *s = w->priv;
	struct filelist *fl = w->files;
	size_t first = fl->n, ndirs = fl->ndirs;
	int n;

	n = last ? pollset_look_last(s->remote, out, burst)
	         : pollset_look_due(s->remote, out);
	if (fl->n > first || fl->ndirs > ndirs) {
		track_links(w, first);
		if (sync_dirs(w) != 0)
			fallback(w, NULL);
		else
			sync_remote(w, false);
	}
	return n;
}

/*
 * Read the events that are queued and look again at the files they name.
 * Returns how many changes were added to out.
 */
static int
read_events(struct watch *w, struct changes *out)
{
	struct ino *s = w->priv;
	struct filelist *fl = w->files;
	char buf[64 * 1024]
	    __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	size_t first = fl->n, i;
	bool overflow = false;
	ssize_t len;
	char *p;
	int count = 0;

	for (;;) {
		len = read(s->fd, buf, sizeof buf);
		if (len == -1 && errno == EINTR)
			continue;
		if (len <= 0)
			break;
		for (p = buf; p < buf + len;
		     p += sizeof(struct inotify_event) + ev->len) {
			ev = (const struct inotify_event *)p;
			handle(w, ev, &overflow);
		}
	}
	track_links(w, first);
	if (sync_dirs(w) != 0) {
		/* Out of watches: poll from now on, and look at everything. */
		fallback(w, NULL);
		return watch_sweep(w, out);
	}
	count += watch_adopt(w, first, out);
	for (i = 0; i < s->touched.n; i++)
		count += watch_update(w, s->touched.idx[i], now_ns(), out);
	changes_clear(&s->touched);
	if (overflow)
		count += watch_sweep(w, out);
	return count;
}

/* Did inotify give up, so that polling took over? */
static bool
fell_back(const struct watch *w)
{
	return w->be != &watch_inotify_backend;
}

static enum watch_result
ino_wait(struct watch *w, int input_fd, int64_t timeout_ns, struct changes *out)
{
	struct ino *s = w->priv;
	int64_t now = mono_ns(), until;
	int64_t deadline = timeout_ns < 0 ? -1 : now + timeout_ns;
	int n = 0;

	for (;;) {
		if (now >= s->next_safety)
			n = safety_sweep(w, out);
		else if (s->unwatched && now >= s->next_retry)
			n = retry_unwatched(w, out);
		if (!fell_back(w) && s->remote != NULL)
			n += poll_remote(w, out, false, NULL);
		if (fell_back(w))
			return n > 0
			           ? WATCH_CHANGED
			           : w->be->wait(w, input_fd, timeout_ns, out);
		if (n > 0)
			return WATCH_CHANGED;
		until = s->next_safety;
		if (s->unwatched && s->next_retry < until)
			until = s->next_retry;
		if (s->remote != NULL && pollset_next(s->remote) < until)
			until = pollset_next(s->remote);
		if (deadline >= 0 && deadline < until)
			until = deadline;
		switch (
		    sig_poll(s->fd, input_fd, until > now ? until - now : 0)) {
		case WAKE_SIGNAL:
			return WATCH_SIGNAL;
		case WAKE_FD2:
			return WATCH_INPUT;
		case WAKE_FD:
			n = read_events(w, out);
			break;
		case WAKE_TIMEOUT:
			break;
		}
		if (n > 0)
			return WATCH_CHANGED;
		if (fell_back(w))
			return WATCH_TIMEOUT;
		now = mono_ns();
		if (deadline >= 0 && now >= deadline)
			return WATCH_TIMEOUT;
	}
}

/*
 * Gather the rest of a burst: events until none comes for QUIET_NS, for
 * WRITER_QUIET_NS while a file written to is still open, or for longer once
 * several files changed (watch_quiet_ns); or until limit. Files on remote
 * file systems are polled meanwhile, and once more at the end when the
 * burst holds some.
 */
static enum watch_result
ino_settle(struct watch *w, struct changes *out, int64_t limit)
{
	struct ino *s = w->priv;
	int64_t now, quiet, end, until, last = mono_ns();
	enum wake r;
	int total = 0, n;

	while (!fell_back(w) && (now = mono_ns()) < limit) {
		quiet = watch_quiet_ns(w, out);
		if (s->nwriting && quiet < WRITER_QUIET_NS)
			quiet = WRITER_QUIET_NS;
		end = last + quiet < limit ? last + quiet : limit;
		if (now >= end) {
			/* Quiet: a last look at the remote files. */
			if (s->remote == NULL ||
			    (n = poll_remote(w, out, true, out)) == 0)
				break;
			total += n;
			last = mono_ns();
			continue;
		}
		until = end;
		if (s->remote != NULL && pollset_next(s->remote) < until)
			until = pollset_next(s->remote);
		r = sig_poll(s->fd, -1, until > now ? until - now : 0);
		if (r == WAKE_SIGNAL)
			return WATCH_SIGNAL;
		if (r == WAKE_FD) {
			total += read_events(w, out);
			last = mono_ns();
		} else if (s->remote != NULL &&
		           (n = poll_remote(w, out, false, NULL)) > 0) {
			total += n;
			last = mono_ns();
		}
	}
	if (!fell_back(w) && s->nwriting) {
		memset(s->writing, 0, s->capwriting);
		s->nwriting = 0;
	}
	return total > 0 ? WATCH_CHANGED : WATCH_TIMEOUT;
}

static void
ino_close(struct watch *w)
{
	struct ino *s = w->priv;
	size_t i;

	if (s == NULL)
		return;
	if (s->fd != -1)
		close(s->fd);
	for (i = 0; i < s->ntargets; i++)
		free(s->target_keys[i]);
	for (i = 0; i < w->files->ndirs; i++)
		w->files->dirs[i].wd = -1;
	free(s->target_keys);
	strmap_free(&s->targets);
	free(s->wd_dir);
	free(s->dir_next);
	free(s->writing);
	changes_free(&s->touched);
	pollset_free(s->remote);
	free(s);
	w->priv = NULL;
}

/*
 * Give up on inotify and poll instead, saying why; error is NULL when
 * errno tells.
 */
static void
fallback(struct watch *w, const char *error)
{
	char why[512];

	if (error == NULL) {
		explain(w->priv, errno, why, sizeof why);
		error = why;
	}
	hl_msg("inotify cannot watch the files any more: %s; polling instead",
	       error);
	ino_close(w);
	w->be = &watch_poll_backend;
	w->be->open(w);
}

static int
ino_open(struct watch *w)
{
	struct ino *s = xcalloc(1, sizeof *s);
	const char *max = getenv("HOTLOAD_MAX_WATCHES");
	char why[512];

	w->priv = s;
	s->max_watches = max ? (size_t)strtoull(max, NULL, 10) : SIZE_MAX;
	s->fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (s->fd == -1)
		goto fail;
	if (w->poll_remote)
		s->remote = pollset_new(w, false);
	track_links(w, 0);
	if (sync_dirs(w) != 0)
		goto fail;
	s->next_safety = mono_ns() + SAFETY_MIN_NS;
	s->next_retry = mono_ns() + RETRY_NS;
	w->settle_ns = QUIET_NS;
	if (w->verbose)
		hl_msg("watching %zu file%s in %zu director%s with %zu "
		       "inotify watch%s", w->files->n, w->files->n == 1 ? "" : "s",
		       w->files->ndirs, w->files->ndirs == 1 ? "y" : "ies",
		       s->nwatches, s->nwatches == 1 ? "" : "es");
	return 0;
fail:
	explain(s, errno, why, sizeof why);
	hl_msg("inotify cannot watch these files: %s%s", why,
	       w->can_fall_back ? "; polling instead" : "");
	ino_close(w);
	return -1;
}

/*
 * Files joined the list from position first on, or came back to it
 * (--auto): watch their directories, and their targets' if they are links.
 */
static void
ino_join(struct watch *w, size_t first)
{
	struct ino *s = w->priv;

	track_links(w, first);
	if (sync_dirs(w) != 0)
		fallback(w, NULL);
	else if (s->remote != NULL)
		pollset_sync(s->remote);
}

const struct watch_backend watch_inotify_backend = {
    "inotify", ino_open, ino_wait, ino_settle, ino_close, ino_join,
};
