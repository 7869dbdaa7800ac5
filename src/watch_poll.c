/* watch_poll.c: the portable backend, a sweep over every file at intervals. */
#include "hotload.h"

static int
poll_wait(struct watch *w, int64_t timeout_ns, struct changes *out)
{
	int64_t now = mono_ns(), until;
	int64_t deadline = timeout_ns < 0 ? -1 : now + timeout_ns;
	size_t n;

	for (;;) {
		/* A wait that times out ends with one last look. */
		if (deadline >= 0 && now >= deadline)
			return (int)watch_sweep(w, out);
		if (now >= w->next_sweep) {
			w->next_sweep = now + w->interval_ns;
			n = watch_sweep(w, out);
			if (n > 0)
				return (int)n;
		}
		until = w->next_sweep;
		if (deadline >= 0 && deadline < until)
			until = deadline;
		if (sig_poll(-1, until - now) < 0)
			return -1;
		now = mono_ns();
	}
}

const struct watch_backend watch_poll_backend = {"poll", poll_wait, NULL};
