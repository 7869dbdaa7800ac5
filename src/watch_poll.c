/*
 * watch_poll.c: polling, and the portable backend made of it. A pollset
 * looks at a set of files at intervals: every file (the poll backend), or
 * the files on file systems that send no change events (beside inotify).
 * The files that changed last and the files of the --module steps are
 * looked at the requested rate (144 times a second by default) whatever
 * the size of the set; the whole set is swept at that rate as long as a
 * sweep takes at most a 25th of the time, and less often when it would take
 * more, to keep idle CPU under 5% of one core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hotload.h"

#define POLL_CPU_SHARE 25 /* poll for at most 1/25 of the time */
#define SLOW_SWEEPS 5     /* slow sweeps in a row before the rate is told */
/* A burst of one file, in a set whose sweep costs more than this, ends
 * with a look at the focused files rather than a whole sweep. */
#define NARROW_SWEEP_NS (2 * 1000000LL)
#define NEVER INT64_MAX

struct pollset {
	struct watch *w;
	bool all;      /* every file, and the root directories */
	size_t *files; /* or these files... */
	size_t nfiles, capfiles;
	unsigned char *member; /* file -> in files */
	size_t nmember;
	size_t *dirs; /* ...and the root directories of these */
	size_t ndirs, capdirs;
	unsigned char *dmember; /* directory -> in dirs */
	size_t ndmember;
	size_t synced_files; /* files and directories pollset_sync saw */
	size_t synced_dirs;
	unsigned synced_gen; /* w->remote_gen as pollset_sync saw it */
	size_t *modules;     /* the --module files of the set */
	size_t nmodules, capmodules;
	int64_t rate_ns;       /* the sweeps' interval in use */
	int64_t shown_rate_ns; /* the last one told */
	int slow_sweeps;       /* sweeps in a row that slowed polling down */
	int64_t next_sweep;    /* monotonic time of the next sweep */
	int64_t next_focus;    /* of the next look at the focused files */
	int64_t sweep_cost_ns; /* what the last sweep cost */
	int64_t focus_cost_ns; /* and the last look at the focused files */
};

/* Append x to the array *v of *n values, with room for *cap. */
static void
push(size_t **v, size_t *n, size_t *cap, size_t x)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*v = xreallocarray(*v, *cap, sizeof **v);
	}
	(*v)[(*n)++] = x;
}

/*
 * A set of files to poll: with all, every file of the list and its root
 * directories, as they come; else the files and root directories on
 * remote file systems (watch_remote), as pollset_sync finds them.
 */
struct pollset *
pollset_new(struct watch *w, bool all)
{
	struct pollset *p = xcalloc(1, sizeof *p);

	p->w = w;
	p->all = all;
	p->rate_ns = w->interval_ns;
	p->next_sweep = mono_ns();
	p->next_focus = NEVER;
	p->synced_gen = w->remote_gen;
	pollset_sync(p);
	return p;
}

void
pollset_free(struct pollset *p)
{
	if (p == NULL)
		return;
	free(p->files);
	free(p->member);
	free(p->dirs);
	free(p->dmember);
	free(p->modules);
	free(p);
}

/*
 * Take in the files and directories on remote file systems that joined the
 * list, or whose directory was found to be remote, since the last call.
 * Returns how many files the set has.
 */
size_t
pollset_sync(struct pollset *p)
{
	struct watch *w = p->w;
	struct filelist *fl = w->files;
	size_t i;

	if (p->all)
		return fl->n;
	if (p->synced_gen != w->remote_gen) {
		p->synced_gen = w->remote_gen;
		p->synced_files = p->synced_dirs = 0;
	}
	for (i = p->synced_files; i < fl->n; i++) {
		p->member = grow_zeroed(p->member, &p->nmember, i, 1);
		if (!p->member[i] && watch_remote(w, fl->v[i].dir)) {
			p->member[i] = 1;
			push(&p->files, &p->nfiles, &p->capfiles, i);
		}
	}
	p->synced_files = fl->n;
	for (i = p->synced_dirs; i < fl->ndirs; i++) {
		p->dmember = grow_zeroed(p->dmember, &p->ndmember, i, 1);
		if (!p->dmember[i] && watch_remote(w, i)) {
			p->dmember[i] = 1;
			push(&p->dirs, &p->ndirs, &p->capdirs, i);
		}
	}
	p->synced_dirs = fl->ndirs;
	return p->nfiles;
}

/* Is file i in the set? */
static bool
has(const struct pollset *p, size_t i)
{
	return p->all ? i < p->w->files->n : i < p->nmember && p->member[i];
}

/* Is the set empty (nothing to look at)? */
static bool
empty(const struct pollset *p)
{
	return p->all ? p->w->files->n == 0 && p->w->files->ndirs == 0
	              : p->nfiles == 0 && p->ndirs == 0;
}

/* Are the focused files looked at more often than the rest? They are
 * once a sweep comes at most half as often as asked. */
static bool
focusing(const struct pollset *p)
{
	return p->rate_ns >= 2 * p->w->interval_ns;
}

/* What a look that began at start, CPU time cpu, cost: its CPU time, or
 * a fifth of its wall time, for a file system slow to answer. */
static int64_t
cost_since(int64_t start, int64_t cpu)
{
	int64_t wall = mono_ns() - start,
	        used = cpu < 0 ? wall : cpu_ns() - cpu;

	return used < wall / 5 ? wall / 5 : used;
}

/* Note the --module files of the set (their entries wait_back). */
static void
find_modules(struct pollset *p)
{
	const struct filelist *fl = p->w->files;
	size_t i;

	p->nmodules = 0;
	if (p->all) {
		for (i = 0; i < fl->n; i++)
			if (fl->v[i].wait_back)
				push(&p->modules, &p->nmodules, &p->capmodules,
				     i);
	} else {
		for (i = 0; i < p->nfiles; i++)
			if (fl->v[p->files[i]].wait_back)
				push(&p->modules, &p->nmodules, &p->capmodules,
				     p->files[i]);
	}
}

/* Say so when the rate first drops for good (not for a few sweeps that
 * read files just written); with -v, when it moves. */
static void
tell_rate(struct pollset *p, int64_t rate)
{
	struct watch *w = p->w;
	int64_t shown = p->shown_rate_ns;
	char focus[80];

	p->slow_sweeps = rate > w->interval_ns ? p->slow_sweeps + 1 : 0;
	if (p->slow_sweeps < SLOW_SWEEPS || w->quiet ||
	    (shown != 0 &&
	     (!w->verbose || (rate <= 2 * shown && 2 * rate >= shown))))
		return;
	snprintf(focus, sizeof focus,
	         "; the files changed last and the modules' own every %.1f ms",
	         (double)w->interval_ns / 1e6);
	hl_msg("polling %zu files%s every %.0f ms (%.1f times a second), to "
	       "keep idle CPU under 5%% of a core%s",
	       p->all ? w->files->n : p->nfiles,
	       p->all ? "" : " on remote file systems", (double)rate / 1e6,
	       1e9 / (double)rate, rate >= 2 * w->interval_ns ? focus : "");
	p->shown_rate_ns = rate;
}

/*
 * Look at every file of the set, and read again the root directories that
 * changed; then set the next sweep's time from what this one cost, within
 * the CPU share left by the looks at the focused files. Returns how many
 * changes were seen.
 */
static int
sweep(struct pollset *p, struct changes *out)
{
	struct watch *w = p->w;
	struct filelist *fl = w->files;
	int64_t start = mono_ns(), cpu = cpu_ns(), rate, now;
	double share;
	size_t i, first = fl->n;
	int n = 0;

	if (p->all) {
		n = watch_sweep(w, out);
		watch_classify(w, true);
	} else {
		for (i = 0; i < p->nfiles; i++)
			n += watch_update(w, p->files[i], now_ns(), out);
		for (i = 0; i < p->ndirs; i++)
			if (fl->dirs[p->dirs[i]].root &&
			    watch_look_dir(w, p->dirs[i]))
				filelist_rescan(fl, p->dirs[i]);
		n += watch_adopt(w, first, out);
	}
	find_modules(p);
	p->sweep_cost_ns = cost_since(start, cpu);
	/* The share of a core left for sweeps; at least half of it. */
	share = 1.0 / POLL_CPU_SHARE;
	if (focusing(p))
		share -= (double)p->focus_cost_ns / (double)w->interval_ns;
	if (share < 0.5 / POLL_CPU_SHARE)
		share = 0.5 / POLL_CPU_SHARE;
	rate = (int64_t)((double)p->sweep_cost_ns / share);
	if (rate < w->interval_ns)
		rate = w->interval_ns;
	tell_rate(p, rate);
	now = mono_ns();
	p->rate_ns = rate;
	p->next_sweep = now + rate;
	p->next_focus = focusing(p) ? now + w->interval_ns : NEVER;
	return n;
}

/*
 * Look at the focused files: the last that changed, and the --module
 * files. Returns how many changes were seen.
 */
static int
look_focused(struct pollset *p, struct changes *out)
{
	struct watch *w = p->w;
	int64_t start = mono_ns(), cpu = cpu_ns();
	size_t k, m, nrecent = w->nrecent, i;
	int n = 0;

	if (nrecent > WATCH_RECENT)
		nrecent = WATCH_RECENT;
	/* A change to a file already among the last leaves them as they
	 * are, so that they can be walked while looked at. */
	for (k = 0; k < nrecent; k++)
		if (has(p, w->recent[k]))
			n += watch_update(w, w->recent[k], now_ns(), out);
	for (m = 0; m < p->nmodules; m++) {
		i = p->modules[m];
		for (k = 0; k < nrecent && w->recent[k] != i; k++)
			;
		if (k == nrecent)
			n += watch_update(w, i, now_ns(), out);
	}
	p->focus_cost_ns = cost_since(start, cpu);
	p->next_focus = mono_ns() + w->interval_ns;
	return n;
}

/* When the set next wants a look (monotonic time), or INT64_MAX. */
int64_t
pollset_next(const struct pollset *p)
{
	if (empty(p))
		return NEVER;
	return p->next_focus < p->next_sweep ? p->next_focus : p->next_sweep;
}

/* Take the looks that are due. Returns how many changes were seen. */
int
pollset_look_due(struct pollset *p, struct changes *out)
{
	int64_t now = mono_ns();

	if (empty(p))
		return 0;
	if (now >= p->next_sweep)
		return sweep(p, out);
	if (now >= p->next_focus)
		return look_focused(p, out);
	return 0;
}

/*
 * The look that ends a wait: a sweep of the whole set. When the wait was
 * for the end of burst (not NULL), none of whose files is in the set, only
 * the looks that are due; when burst is one file in a set too long to sweep
 * often, a look at the focused files, which that file is one of.
 */
int
pollset_look_last(struct pollset *p, struct changes *out,
                  const struct changes *burst)
{
	const struct watch *w = p->w;
	size_t i;

	if (empty(p))
		return 0;
	if (burst == NULL)
		return sweep(p, out);
	for (i = 0; i < burst->n && !has(p, burst->idx[i]); i++)
		;
	if (i == burst->n)
		return pollset_look_due(p, out);
	if (burst->n == 1 && focusing(p) &&
	    p->sweep_cost_ns > NARROW_SWEEP_NS && !w->burst && !w->joined &&
	    mono_ns() < p->next_sweep)
		return look_focused(p, out);
	return sweep(p, out);
}

/* The quiet time that ends a burst of one file: twice what a look at it
 * costs, 1 ms at least. */
static void
set_settle(struct watch *w)
{
	struct pollset *p = w->priv;
	int64_t cost = focusing(p) && p->sweep_cost_ns > NARROW_SWEEP_NS
	                   ? p->focus_cost_ns
	                   : p->sweep_cost_ns;

	w->settle_ns = 2 * cost;
	if (w->settle_ns < 1000000)
		w->settle_ns = 1000000;
	if (w->settle_ns > p->rate_ns)
		w->settle_ns = p->rate_ns;
}

static int
poll_open(struct watch *w)
{
	w->priv = pollset_new(w, true);
	if (w->verbose)
		hl_msg("watching %zu file%s by polling every %.2f ms",
		       w->files->n, w->files->n == 1 ? "" : "s",
		       (double)w->interval_ns / 1e6);
	return 0;
}

static void
poll_close(struct watch *w)
{
	pollset_free(w->priv);
	w->priv = NULL;
}

static enum watch_result
poll_wait(struct watch *w, int input_fd, int64_t timeout_ns,
          struct changes *out)
{
	struct pollset *p = w->priv;
	int64_t now = mono_ns(), until;
	int64_t deadline = timeout_ns < 0 ? -1 : now + timeout_ns;
	int n;

	for (;;) {
		/* A wait that times out ends with one last look. */
		if (deadline >= 0 && now >= deadline) {
			n = pollset_look_last(p, out, NULL);
			set_settle(w);
			return n > 0 ? WATCH_CHANGED : WATCH_TIMEOUT;
		}
		n = pollset_look_due(p, out);
		set_settle(w);
		if (n > 0)
			return WATCH_CHANGED;
		until = pollset_next(p);
		if (deadline >= 0 && deadline < until)
			until = deadline;
		switch (sig_poll(input_fd, -1, until - now)) {
		case WAKE_SIGNAL:
			return WATCH_SIGNAL;
		case WAKE_FD:
			return WATCH_INPUT;
		case WAKE_FD2:
		case WAKE_TIMEOUT:
			break;
		}
		now = mono_ns();
	}
}

/*
 * Gather the rest of a burst: look as polling is due until the files are
 * quiet (watch_quiet_ns), then once more (pollset_look_last), and go on
 * while that finds changes; or until limit.
 */
static enum watch_result
poll_settle(struct watch *w, struct changes *out, int64_t limit)
{
	struct pollset *p = w->priv;
	enum watch_result any = WATCH_TIMEOUT;
	int64_t now, end, until;
	int n;

	while ((now = mono_ns()) < limit) {
		end = now + watch_quiet_ns(w, out);
		if (end > limit)
			end = limit;
		n = 0;
		while (n == 0 && (now = mono_ns()) < end) {
			until = pollset_next(p);
			if (until <= now) {
				n = pollset_look_due(p, out);
				continue;
			}
			if (sig_poll(-1, -1,
			             (until < end ? until : end) - now) ==
			    WAKE_SIGNAL)
				return WATCH_SIGNAL;
		}
		if (n == 0)
			n = pollset_look_last(p, out, out);
		set_settle(w);
		if (n == 0)
			break;
		any = WATCH_CHANGED;
	}
	return any;
}

const struct watch_backend watch_poll_backend = {
    "poll", poll_open, poll_wait, poll_settle, poll_close, NULL,
};
