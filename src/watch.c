/*
 * watch.c: the watcher's interface, the set of changed files it fills, and
 * what every backend relies on: a file changed when its stat differs from
 * the last look (fstate.c), whatever told the backend to look.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "hotload.h"

/* A burst of changes ends after a quiet moment, or after this long. */
#define COLLATE_MAX_NS (3000 * 1000000LL)
/* The quiet moment once several files changed together. */
#define BURST_QUIET_NS (50 * 1000000LL)
/* The longest a git command may keep a burst going. */
#define GIT_MAX_NS (60 * 1000000000LL)

/* Add file i to the set, once. */
void
changes_add(struct changes *c, size_t i)
{
	c->mark = grow_zeroed(c->mark, &c->nmark, i, 1);
	if (c->mark[i])
		return;
	c->mark[i] = 1;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 16;
		c->idx = xreallocarray(c->idx, c->cap, sizeof *c->idx);
	}
	c->idx[c->n++] = i;
}

void
changes_clear(struct changes *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		c->mark[c->idx[i]] = 0;
	c->n = 0;
}

/*
 * Make the changes of a burst ready for its round. A file gone by now is a
 * change (a test run after a module is removed), unless it was made and
 * removed within the burst, as an editor's temporary files are, or it is
 * to wait until it is back (wait_back): those are dropped. Say which files
 * are gone, unless quiet, and with verbose how many went and came back (a
 * checkout, an editor's save). Returns how many of the files kept are
 * new, or back.
 */
size_t
changes_settle(struct changes *c, struct filelist *fl, bool quiet, bool verbose)
{
	size_t i, kept = 0, appeared = 0, gone = 0, waiting = 0, back = 0;
	const struct entry *first = NULL;

	for (i = 0; i < c->n; i++) {
		struct entry *e = &fl->v[c->idx[i]];
		bool keep = e->st.exists || (!e->appeared && !e->wait_back);

		if (e->st.exists) {
			appeared += e->appeared;
			back += e->went;
		} else if (!e->appeared) {
			if (gone++ == 0)
				first = e;
			waiting += e->wait_back;
		}
		e->appeared = e->went = false;
		if (keep)
			c->idx[kept++] = c->idx[i];
		else
			c->mark[c->idx[i]] = 0;
	}
	c->n = kept;
	if (gone == 1 && !quiet)
		hl_msg("%s is gone%s", first->name,
		       waiting ? "; a round runs when it is back" : "");
	else if (gone > 1 && !quiet)
		hl_msg("%s and %zu other watched files are gone%s", first->name,
		       gone - 1,
		       waiting == gone ? "; a round runs when one is back"
		                       : "");
	if (back > 0 && verbose)
		hl_msg("%zu file%s went and came back", back,
		       back == 1 ? "" : "s");
	return appeared;
}

void
changes_free(struct changes *c)
{
	free(c->idx);
	free(c->mark);
	memset(c, 0, sizeof *c);
}

/* The backends this system has, the preferred one first. */
static const struct watch_backend *const backends[] = {
#ifdef HAVE_INOTIFY
    &watch_inotify_backend,
#endif
    &watch_poll_backend,
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

/* The backend called name, or NULL. */
const struct watch_backend *
watch_backend_find(const char *name)
{
	size_t i;

	for (i = 0; i < NBACKENDS; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

/* The names --watcher takes, as "auto, inotify or poll". */
const char *
watch_backend_names(void)
{
	static char names[128];
	size_t i, used;

	if (names[0] != '\0')
		return names;
	used = (size_t)snprintf(names, sizeof names, "auto");
	for (i = 0; i < NBACKENDS && used < sizeof names; i++)
		used += (size_t)snprintf(
		    names + used, sizeof names - used, "%s%s",
		    i + 1 == NBACKENDS ? " or " : ", ", backends[i]->name);
	return names;
}

/*
 * The index.lock of the git work tree that dir is in, or NULL. .git is a
 * directory, or in a linked work tree a file that names one ("gitdir:").
 */
static char *
find_git_lock(const char *dir)
{
	char *d = xstrdup(dir), *p, *lock = NULL, line[4096];
	struct stat sb;
	FILE *fp;
	size_t n;

	for (;;) {
		n = strlen(d);
		lock = xmalloc(n + sizeof "/.git/index.lock");
		sprintf(lock, "%s/.git", strcmp(d, "/") == 0 ? "" : d);
		if (stat(lock, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			strcat(lock, "/index.lock");
			break;
		}
		if (stat(lock, &sb) == 0 && S_ISREG(sb.st_mode) &&
		    (fp = fopen(lock, "r")) != NULL) {
			free(lock);
			lock = NULL;
			if (fgets(line, sizeof line, fp) != NULL &&
			    strncmp(line, "gitdir: ", 8) == 0) {
				line[strcspn(line, "\r\n")] = '\0';
				p = path_join_clean(d, n, line + 8);
				lock =
				    xmalloc(strlen(p) + sizeof "/index.lock");
				sprintf(lock, "%s/index.lock", p);
				free(p);
			}
			fclose(fp);
			break;
		}
		free(lock);
		lock = NULL;
		if ((p = strrchr(d, '/')) == NULL || strcmp(d, "/") == 0)
			break;
		if (p == d)
			p[1] = '\0';
		else
			*p = '\0';
	}
	free(d);
	return lock;
}

/*
 * Start watching the files of fl with the backend named by kind ("auto",
 * "inotify" or "poll"); auto takes the kernel's notifications where the
 * system has them and falls back to polling, saying why. Returns NULL, after
 * a message, if the backend asked for cannot serve.
 */
struct watch *
watch_open(struct filelist *fl, const struct options *o)
{
	struct watch *w = xcalloc(1, sizeof *w);
	bool automatic = strcmp(o->watcher, "auto") == 0;

	w->files = fl;
	w->quiet = o->quiet;
	w->verbose = o->verbose;
	w->can_fall_back = automatic;
	w->poll_remote = automatic;
	w->interval_ns = (int64_t)(o->interval_ms * 1e6);
	w->settle_ns = w->interval_ns;
	w->be = automatic ? backends[0] : watch_backend_find(o->watcher);
	if (w->be == NULL) {
		hl_msg("--watcher=%s is not available on this system; use "
		       "--watcher=poll",
		       o->watcher);
		free(w);
		return NULL;
	}
	watch_classify(w, false);
	if (w->be->open(w) != 0) {
		if (!automatic) {
			free(w->fs);
			free(w);
			return NULL;
		}
		w->be = &watch_poll_backend;
		w->be->open(w);
	}
	w->git_lock = find_git_lock(fl->cwd);
	return w;
}

void
watch_close(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->be->close != NULL)
		w->be->close(w);
	free(w->git_lock);
	free(w->fs);
	free(w);
}

/*
 * Files of modules imported meanwhile (--auto) join the list, and the
 * backend watches them too. The thread that watches takes them in, so that
 * the list never grows under it.
 */
static void
take_offers(struct watch *w)
{
	size_t first = w->files->n;

	if (filelist_take_offers(w->files) > 0)
		watch_join(w, first);
}

/*
 * Files joined the list from position first on, or came back to it, as the
 * files of modules imported (--auto): the backend watches them from now
 * on. Their states are read already, and they are no change: their modules
 * were loaded from what they hold.
 */
void
watch_join(struct watch *w, size_t first)
{
	if (w->be->join != NULL)
		w->be->join(w, first);
}

/*
 * Wait up to timeout_ns (forever if negative) for files to change, and add
 * the changed ones to out; the wait also ends when input_fd (unless -1) is
 * readable, or a signal arrives.
 */
enum watch_result
watch_wait(struct watch *w, int input_fd, int64_t timeout_ns,
           struct changes *out)
{
	take_offers(w);
	return w->be->wait(w, input_fd, timeout_ns, out);
}

/*
 * How long the files must be quiet for a burst to be over: short while one
 * file changed, so that a save shows at once, longer once several did, or
 * changes went on while the last round ran, so that a checkout or a script
 * writing many files gives one round (two, if it stalled after its first
 * file on a busy machine); longer too for a file new to the list, which may
 * be a temporary file about to go (vim's 4913), and for a file left empty,
 * which is most likely emptied by a save that has yet to write it.
 */
int64_t
watch_quiet_ns(const struct watch *w, const struct changes *burst)
{
	const struct fstate *st;

	if (burst->n > 1 || w->burst || w->joined)
		return BURST_QUIET_NS;
	if (burst->n == 1) {
		st = &w->files->v[burst->idx[0]].st;
		/* Gone may be a save half done: the file comes back. */
		if (!st->exists || (st->size == 0 && S_ISREG(st->mode)))
			return BURST_QUIET_NS;
	}
	return w->settle_ns;
}

/* Gather a burst until the files are quiet, or until limit. */
static enum watch_result
settle_until(struct watch *w, struct changes *out, int64_t limit)
{
	enum watch_result n = WATCH_TIMEOUT, any = WATCH_TIMEOUT;

	if (w->be->settle != NULL)
		return w->be->settle(w, out, limit);
	while (mono_ns() < limit) {
		n = watch_wait(w, -1, watch_quiet_ns(w, out), out);
		if (n != WATCH_CHANGED)
			break;
		any = n;
	}
	return n == WATCH_SIGNAL ? n : any;
}

/* Is a git command writing the work tree (its index is locked)? */
static bool
git_busy(const struct watch *w)
{
	struct stat sb;

	return w->git_lock != NULL && stat(w->git_lock, &sb) == 0;
}

/*
 * After a first change, gather the rest of its burst (whatever is typed
 * meanwhile): wait until the files are quiet, for at most COLLATE_MAX_NS,
 * and for as long as a git command (a checkout, a stash, a rebase) still
 * writes the work tree, up to GIT_MAX_NS, so that it gives one round.
 * Returns WATCH_CHANGED if more changes came, WATCH_TIMEOUT if none did, or
 * WATCH_SIGNAL.
 */
enum watch_result
watch_settle(struct watch *w, struct changes *out)
{
	int64_t start = mono_ns();
	enum watch_result n, any = WATCH_TIMEOUT;
	bool burst = w->burst;

	take_offers(w);
	for (;;) {
		n = settle_until(w, out, mono_ns() + COLLATE_MAX_NS);
		if (n == WATCH_SIGNAL)
			break;
		if (n == WATCH_CHANGED)
			any = n;
		if (!git_busy(w) || mono_ns() - start > GIT_MAX_NS)
			break;
		w->burst = true; /* the quiet time of a burst of many */
	}
	w->burst = burst;
	w->joined = false;
	return n == WATCH_SIGNAL ? n : any;
}

/* Remember that file i changed, among the last WATCH_RECENT that did. */
static void
note_recent(struct watch *w, size_t i)
{
	size_t k, n = w->nrecent < WATCH_RECENT ? w->nrecent : WATCH_RECENT;

	for (k = 0; k < n; k++)
		if (w->recent[k] == i)
			return;
	w->recent[w->nrecent++ % WATCH_RECENT] = i;
}

/*
 * Look at file i again. Returns 1, after adding it to out, if it changed or
 * appeared; a file that disappeared is remembered as missing, for the next
 * report, but is not a change.
 */
int
watch_update(struct watch *w, size_t i, int64_t now, struct changes *out)
{
	struct entry *e = &w->files->v[i];
	bool existed = e->st.exists;

	if (e->idle) {
		/* No module imports it now (--auto): no change, but its
		 * state is kept, for when it joins again. */
		fstate_update(&e->st, e->path, now);
		return 0;
	}

	if (watch_remote(w, e->dir))
		watch_fs_refresh(e->path);
	switch (fstate_update(&e->st, e->path, now)) {
	case FS_CHANGED:
		e->appeared |= !existed;
		changes_add(out, i);
		note_recent(w, i);
		return 1;
	case FS_GONE:
		/* Whether a round is for it is changes_settle's to say,
		 * once the burst is over. */
		e->went = true;
		changes_add(out, i);
		note_recent(w, i);
		return 1;
	case FS_SAME:
		break;
	}
	return 0;
}

/*
 * Take in the files added to the list from position first on, found in a
 * root directory: each is a change. Returns how many there were.
 */
int
watch_adopt(struct watch *w, size_t first, struct changes *out)
{
	struct filelist *fl = w->files;
	size_t i;

	w->joined |= fl->n > first;
	for (i = first; i < fl->n; i++) {
		fl->v[i].appeared = true;
		if (watch_remote(w, fl->v[i].dir))
			watch_fs_refresh(fl->v[i].path);
		fstate_read(&fl->v[i].st, fl->v[i].path, now_ns());
		changes_add(out, i);
		note_recent(w, i);
		if (w->verbose)
			hl_msg("new file: %s", fl->v[i].name);
	}
	return (int)(fl->n - first);
}

/*
 * Look at every file, and read again every root directory that changed, for
 * new files. Returns how many changes were added to out.
 */
int
watch_sweep(struct watch *w, struct changes *out)
{
	struct filelist *fl = w->files;
	int64_t start = mono_ns(), cpu = cpu_ns(), wall;
	size_t i, first = fl->n;
	int count = 0;

	/* The time is read for each file: a long sweep must not make a file
	 * changed during it look older than it is. */
	for (i = 0; i < fl->n; i++)
		count += watch_update(w, i, now_ns(), out);
	for (i = 0; i < fl->ndirs; i++)
		if (fl->dirs[i].root && watch_look_dir(w, i))
			filelist_rescan(fl, i);
	count += watch_adopt(w, first, out);
	/* What a sweep costs is the CPU time it takes: hotload being put off
	 * the CPU meanwhile costs nothing. A file system slow to answer does
	 * count, at a fifth of the wait, so as not to be asked all the time. */
	wall = mono_ns() - start;
	w->sweep_cost_ns = cpu < 0 ? wall : cpu_ns() - cpu;
	if (w->sweep_cost_ns < wall / 5)
		w->sweep_cost_ns = wall / 5;
	return count;
}

/*
 * Look at directory d again; returns whether it changed (its names may
 * have).
 */
bool
watch_look_dir(struct watch *w, size_t d)
{
	struct wdir *dir = &w->files->dirs[d];

	if (watch_remote(w, d))
		watch_fs_refresh(dir->path);
	return fstate_update(&dir->st, dir->path, now_ns()) == FS_CHANGED;
}

/* Is directory d on a file system that sends no change events? */
bool
watch_remote(const struct watch *w, size_t d)
{
	return d < w->nfs && w->fs[d].kind == WATCH_FS_REMOTE;
}

/*
 * Find the file system of each directory new to the list, and with retry,
 * of those that could not be looked at before (missing, say). Directories
 * on one device share their file system, so that most need no statfs.
 */
void
watch_classify(struct watch *w, bool retry)
{
	struct filelist *fl = w->files;
	size_t d, from = retry ? 0 : w->nfs, same = SIZE_MAX;
	const struct wdir *dir;
	struct wfs *fs;

	if (fl->ndirs > w->nfs) {
		w->fs = xreallocarray(w->fs, fl->ndirs, sizeof *w->fs);
		memset(w->fs + w->nfs, 0, (fl->ndirs - w->nfs) * sizeof *w->fs);
		w->nfs = fl->ndirs;
	}
	for (d = from; d < w->nfs; d++) {
		fs = &w->fs[d];
		dir = &fl->dirs[d];
		if (fs->kind != WATCH_FS_UNKNOWN)
			continue;
		/* The directory before it, if on the same device. */
		if (same != SIZE_MAX && dir->st.exists &&
		    fl->dirs[same].st.dev == dir->st.dev &&
		    fl->dirs[same].st.exists) {
			fs->kind = w->fs[same].kind;
			memcpy(fs->name, w->fs[same].name, sizeof fs->name);
		} else {
			fs->kind =
			    watch_fs_kind(dir->path, fs->name, sizeof fs->name);
		}
		if (fs->kind == WATCH_FS_UNKNOWN)
			continue;
		same = d;
		if (fs->kind == WATCH_FS_REMOTE)
			w->remote_gen++;
	}
}

/* How the user knows directory path: relative to the current one. */
static const char *
dir_name(const struct filelist *fl, const char *path)
{
	if (strcmp(path, fl->cwd) == 0)
		return ".";
	if (fl->cwdlen > 1 && strncmp(path, fl->cwd, fl->cwdlen) == 0 &&
	    path[fl->cwdlen] == '/')
		return path + fl->cwdlen + 1;
	if (fl->cwdlen == 1 && path[0] == '/' && path[1] != '\0')
		return path + 1;
	return path;
}

/* Tell the directories on the file system named name not told yet. */
static void
tell_remote_kind(struct watch *w, const char *name)
{
	struct filelist *fl = w->files;
	size_t d, i, files = 0, dirs = 0, shown = 0;
	char list[512];
	size_t used = 0;
	bool *mine = xcalloc(w->nfs, sizeof *mine);

	list[0] = '\0';
	for (d = 0; d < w->nfs; d++)
		mine[d] = watch_remote(w, d) && !w->fs[d].told &&
		          strcmp(w->fs[d].name, name) == 0;
	for (i = 0; i < fl->n; i++)
		if (fl->v[i].dir < w->nfs && mine[fl->v[i].dir])
			files++;
	for (d = 0; d < w->nfs; d++) {
		if (!mine[d])
			continue;
		w->fs[d].told = true;
		/* A directory only looked at for a link's target holds
		 * nothing watched. */
		for (i = 0; i < fl->n && !fl->dirs[d].root; i++)
			if (fl->v[i].dir == d)
				break;
		if (!fl->dirs[d].root && i == fl->n)
			continue;
		if (dirs++ < 3 && used < sizeof list)
			used +=
			    (size_t)snprintf(list + used, sizeof list - used,
			                     "%s%s", shown++ ? ", " : "",
			                     dir_name(fl, fl->dirs[d].path));
	}
	free(mine);
	if (dirs == 0 || w->quiet || (w->told_remote && !w->verbose))
		return;
	if (dirs > 3 && used < sizeof list)
		snprintf(list + used, sizeof list - used, " and %zu more",
		         dirs - 3);
	if (w->poll_remote)
		hl_msg("polling %zu file%s in %zu director%s on a%s %s file "
		       "system, which sends no change events: %s",
		       files, files == 1 ? "" : "s", dirs,
		       dirs == 1 ? "y" : "ies",
		       strchr("aeiouns", name[0]) ? "n" : "", name, list);
	else
		hl_msg("%zu file%s in %zu director%s %s on a%s %s file system, "
		       "which sends no change events: %s; changes made on its "
		       "other side are seen only by a sweep every 2 s or more "
		       "(--watcher=auto polls them)",
		       files, files == 1 ? "" : "s", dirs,
		       dirs == 1 ? "y" : "ies", files == 1 ? "is" : "are",
		       strchr("aeiouns", name[0]) ? "n" : "", name, list);
}

/*
 * Say which directories are on file systems that send no change events,
 * and whether their files are polled: at start, and for directories that
 * join later, with -v.
 */
void
watch_tell_remote(struct watch *w)
{
	size_t d;

	for (d = 0; d < w->nfs; d++)
		if (watch_remote(w, d) && !w->fs[d].told)
			tell_remote_kind(w, w->fs[d].name);
	w->told_remote = true;
}
