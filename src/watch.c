/*
 * watch.c: the watcher's interface, the set of changed files it fills, and
 * the sweep that every backend trusts: a file changed when its stat differs.
 */
#include <stdlib.h>
#include <string.h>

#include "hotload.h"

/* Add file i to the set, once. */
void
changes_add(struct changes *c, size_t i)
{
	if (i >= c->nmark) {
		size_t n = c->nmark ? c->nmark : 64;

		while (n <= i)
			n *= 2;
		c->mark = xrealloc(c->mark, n);
		memset(c->mark + c->nmark, 0, n - c->nmark);
		c->nmark = n;
	}
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

void
changes_free(struct changes *c)
{
	free(c->idx);
	free(c->mark);
	memset(c, 0, sizeof *c);
}

/* Start watching the files of fl, polling every interval_ms. */
struct watch *
watch_open(struct filelist *fl, double interval_ms, bool quiet)
{
	struct watch *w = xcalloc(1, sizeof *w);

	w->files = fl;
	w->quiet = quiet;
	w->interval_ns = (int64_t)(interval_ms * 1e6);
	w->settle_ns = w->interval_ns;
	w->next_sweep = mono_ns() + w->interval_ns;
	w->be = &watch_poll_backend;
	return w;
}

void
watch_close(struct watch *w)
{
	if (w == NULL)
		return;
	if (w->be->close != NULL)
		w->be->close(w);
	free(w);
}

/*
 * Wait up to timeout_ns (forever if negative) for files to change, and add
 * the changed ones to out. Returns how many changed, 0 if none did before
 * the timeout, or -1 if a signal arrived.
 */
int
watch_wait(struct watch *w, int64_t timeout_ns, struct changes *out)
{
	return w->be->wait(w, timeout_ns, out);
}

/*
 * Look at every file and add those that changed or appeared to out; a file
 * that disappeared is remembered as missing but is not a change. Returns how
 * many were added. A burst is taken as over when two sweeps apart by
 * settle_ns see nothing new; settle_ns follows the cost of a sweep.
 */
size_t
watch_sweep(struct watch *w, struct changes *out)
{
	struct filelist *fl = w->files;
	int64_t start = mono_ns(), now = now_ns(), cost;
	size_t i, count = 0;

	for (i = 0; i < fl->n; i++) {
		switch (fstate_update(&fl->v[i].st, fl->v[i].path, now)) {
		case FS_CHANGED:
			changes_add(out, i);
			count++;
			break;
		case FS_GONE:
			if (!w->quiet)
				hl_msg("%s is gone; a round runs when it is "
				       "back",
				       fl->v[i].name);
			break;
		case FS_SAME:
			break;
		}
	}
	cost = mono_ns() - start;
	w->settle_ns = 2 * cost;
	if (w->settle_ns < 1000000)
		w->settle_ns = 1000000;
	if (w->settle_ns > w->interval_ns)
		w->settle_ns = w->interval_ns;
	return count;
}
