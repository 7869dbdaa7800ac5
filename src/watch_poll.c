/*
 * watch_poll.c: the portable backend, a sweep over every file at intervals.
 * Small lists are swept at the requested rate (144 times a second by
 * default); a list so long that its sweeps would take more than a 25th
 * of the time is swept less often, to keep idle CPU under 5% of one core.
 */
#include <stdlib.h>

#include "hotload.h"

#define POLL_CPU_SHARE 25 /* sweep for at most 1/25 of the time */
#define SLOW_SWEEPS 5     /* slow sweeps in a row before the rate is told */

/* The backend's own state. */
struct poll {
	int64_t rate_ns;       /* the polling interval in use */
	int64_t shown_rate_ns; /* the last one reported */
	int slow_sweeps;       /* sweeps in a row that slowed polling down */
	int64_t next_sweep;    /* monotonic time of the next sweep */
};

static int
poll_open(struct watch *w)
{
	struct poll *p = xcalloc(1, sizeof *p);

	w->priv = p;
	p->next_sweep = mono_ns();
	p->rate_ns = w->interval_ns;
	if (w->verbose)
		hl_msg("watching %zu files by polling every %.2f ms",
		       w->files->n, (double)w->interval_ns / 1e6);
	return 0;
}

static void
poll_close(struct watch *w)
{
	free(w->priv);
	w->priv = NULL;
}

/* Sweep, then set the next sweep's time from what this one cost. Returns
 * how many changes were seen. */
static int
poll_sweep(struct watch *w, struct changes *out, int64_t now)
{
	struct poll *p = w->priv;
	int n = watch_sweep(w, out);
	int64_t rate = w->sweep_cost_ns * POLL_CPU_SHARE;
	int64_t shown = p->shown_rate_ns;

	if (rate < w->interval_ns)
		rate = w->interval_ns;
	p->slow_sweeps = rate > w->interval_ns ? p->slow_sweeps + 1 : 0;
	/* Say so when the rate first drops for good (not for a few sweeps
	 * that read files just written); with -v, when it moves. */
	if (p->slow_sweeps >= SLOW_SWEEPS && !w->quiet &&
	    (shown == 0 ||
	     (w->verbose && (rate > 2 * shown || 2 * rate < shown)))) {
		hl_msg("polling %zu files every %.0f ms (%.1f times a second), "
		       "to keep idle CPU under 5%% of a core",
		       w->files->n, (double)rate / 1e6, 1e9 / (double)rate);
		p->shown_rate_ns = rate;
	}
	p->rate_ns = rate;
	p->next_sweep = now + rate;
	w->settle_ns = 2 * w->sweep_cost_ns;
	if (w->settle_ns < 1000000)
		w->settle_ns = 1000000;
	if (w->settle_ns > rate)
		w->settle_ns = rate;
	return n;
}

static enum watch_result
poll_wait(struct watch *w, int input_fd, int64_t timeout_ns,
          struct changes *out)
{
	struct poll *p = w->priv;
	int64_t now = mono_ns(), until;
	int64_t deadline = timeout_ns < 0 ? -1 : now + timeout_ns;

	for (;;) {
		/* A wait that times out ends with one last look. */
		if (deadline >= 0 && now >= deadline)
			return poll_sweep(w, out, now) > 0 ? WATCH_CHANGED
			                                   : WATCH_TIMEOUT;
		if (now >= p->next_sweep && poll_sweep(w, out, now) > 0)
			return WATCH_CHANGED;
		until = p->next_sweep;
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

const struct watch_backend watch_poll_backend = {
    "poll", poll_open, poll_wait, NULL, poll_close,
};
