/*
 * loop.c: the rounds, one for each burst of changes, for as long as hotload
 * runs. The hotload program and the Python API's hotload() share it.
 */
#include "hotload.h"

/* Did a wait end because hotload was asked to stop? */
bool
loop_stopping(int waited)
{
	return waited < 0 && (sig_caught() != 0 || pyrun_interrupted());
}

/*
 * Wait for changes as watch_wait does (settle: as watch_settle does), on
 * through signals that do not stop hotload, such as SIGCHLD. Returns the
 * changes seen, or LOOP_STOPPED.
 */
static int
wait_changes(struct watch *w, int64_t timeout_ns, bool settle,
	     struct changes *chg)
{
	int n;

	while ((n = settle ? watch_settle(w, chg)
			   : watch_wait(w, timeout_ns, chg)) < 0)
		if (loop_stopping(n))
			return LOOP_STOPPED;
	return n;
}

/* Name the files a round is about to run for. */
static void
report_changes(const struct filelist *fl, const struct changes *chg)
{
	size_t i;

	for (i = 0; i < chg->n && i < 10; i++)
		hl_msg("changed: %s", fl->v[chg->idx[i]].name);
	if (chg->n > 10)
		hl_msg("changed: %zu more", chg->n - 10);
}

/*
 * Wait for a burst of changes, gathered in chg. fresh tells whether any of
 * them came after the last round ended. Returns 0, or LOOP_STOPPED.
 */
static int
wait_burst(struct watch *w, bool ran, struct changes *chg, bool *fresh)
{
	int n = 0;

	*fresh = false;
	/* First the changes made while the last round ran. */
	if (ran && (n = wait_changes(w, 0, false, chg)) < 0)
		return n;
	while (chg->n == 0) {
		if ((n = wait_changes(w, -1, false, chg)) < 0)
			return n;
		*fresh = n > 0;
	}
	if ((n = wait_changes(w, 0, true, chg)) < 0)
		return n;
	*fresh |= n > 0;
	return 0;
}

/*
 * Run a round for each burst of changes; ran says that a round ran just
 * before. Changes made while a round runs start one more round (they may be
 * the user's saves); when that round again sees only changes made while it
 * ran, hotload takes them for the round's own writes and waits for a new
 * change. Returns, with once, the exit status of the one round; otherwise
 * only LOOP_STOPPED, when a signal asks hotload to stop.
 */
int
loop_run(struct watch *w, struct round *r, bool once, bool ran)
{
	struct changes chg = {0};
	enum step_status st;
	int chain = 0, status;
	bool fresh, new_files;

	for (;;) {
		pyrun_begin_wait();
		status = wait_burst(w, ran, &chg, &fresh);
		new_files = changes_settle(&chg, w->files) > 0;
		pyrun_end_wait();
		if (status < 0)
			break;
		if (chg.n == 0)
			continue;
		chain = fresh ? 0 : chain + 1;
		if (chain > 1) {
			hl_msg("%s changed while the last two rounds ran; taking "
			       "it as the round's own write (save again to "
			       "run)",
			       w->files->v[chg.idx[0]].name);
			changes_clear(&chg);
			chain = 0;
			ran = false;
			continue;
		}
		if (r->opt->verbose)
			report_changes(w->files, &chg);
		st = round_run(r, &chg, new_files);
		changes_clear(&chg);
		ran = true;
		if (st == STEP_INTERRUPTED) {
			status = LOOP_STOPPED;
			break;
		}
		if (once) {
			status = st == STEP_OK ? EXIT_OK : EXIT_FAIL;
			break;
		}
	}
	changes_free(&chg);
	return status;
}
