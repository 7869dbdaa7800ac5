/*
 * loop.c: the rounds, one for each burst of changes, for as long as hotload
 * runs; keys typed at the terminal; the prompt's turn. The hotload program
 * and the Python API's hotload() share it.
 */
#include <string.h>
#include <unistd.h>

#include "hotload.h"

/* Did a wait end because hotload was asked to stop? */
bool
loop_stopping(int waited)
{
	return waited == WATCH_SIGNAL &&
	       (sig_caught() != 0 || pyrun_interrupted());
}

/*
 * Wait for changes as watch_wait does (settle: as watch_settle does), on
 * through signals that do not stop hotload, such as SIGCHLD. Returns the
 * changes seen, WATCH_INPUT, or LOOP_STOPPED.
 */
static int
wait_changes(struct watch *w, int64_t timeout_ns, bool settle,
	     struct changes *chg)
{
	int n;

	for (;;) {
		n = settle ? watch_settle(w, chg)
			   : watch_wait(w, timeout_ns, chg);
		if (n >= 0 || n == WATCH_INPUT)
			return n;
		if (loop_stopping(n))
			return LOOP_STOPPED;
	}
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
 * Read the keys typed at the terminal: Enter or space asks for a round,
 * q to quit. Returns LOOP_ROUND, LOOP_QUIT or 0 for neither.
 */
static int
read_keys(int fd)
{
	char buf[64];
	ssize_t n, i;
	int want = 0;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] == 'q' || buf[i] == 'Q')
				return LOOP_QUIT;
			if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' ')
				want = LOOP_ROUND;
		}
	return want;
}

/*
 * Wait up to timeout_ns (forever if negative) for a burst of changes,
 * gathered in L->next, or for input: keys (a round asked for, or quit) or
 * the prompt's. fresh tells whether any change came after the last round
 * ended. Returns 0 with changes, LOOP_ROUND, LOOP_QUIT, LOOP_INPUT (also
 * when the time is up) or LOOP_STOPPED.
 */
static int
wait_burst(struct loop *L, int64_t timeout_ns, bool *fresh)
{
	int n = 0, key;

	/* What is in L->next already came while the last round ran, unless
	 * loop_steps_done saw it come after. */
	*fresh = L->late;
	L->late = false;
	L->w->input_fd = L->input_fd;
	while (L->next.n == 0) {
		n = wait_changes(L->w, timeout_ns, false, &L->next);
		if (n == LOOP_STOPPED)
			return n;
		if (n == 0 && timeout_ns >= 0)
			return LOOP_INPUT;
		if (n == WATCH_INPUT) {
			if (!L->keys)
				return LOOP_INPUT;
			if ((key = read_keys(L->input_fd)) != 0)
				return key;
			continue;
		}
		*fresh = n > 0;
	}
	L->w->burst = !*fresh;
	n = wait_changes(L->w, 0, true, &L->next);
	L->w->burst = false;
	if (n < 0)
		return n;
	*fresh |= n > 0;
	return 0;
}

/*
 * The round's steps are done: take the changes made while they ran, before
 * the round's end is reported, so that a save made after the report is
 * never taken for the round's own write. A file whose change time is after
 * the steps ended (and not after now: a clock that runs ahead proves
 * nothing) was changed by someone else, as soon as they saw the output.
 */
void
loop_steps_done(struct loop *L)
{
	const struct filelist *fl;
	int64_t end = now_ns(), now, t;
	int input, n;
	size_t i;

	if (L->w == NULL) /* one round, no watching */
		return;
	input = L->w->input_fd;
	L->w->input_fd = -1;
	while ((n = watch_wait(L->w, 0, &L->next)) == WATCH_SIGNAL)
		if (loop_stopping(n)) {
			/* The wait took the signal's wake-up: leave one for the
			 * loop, which stops on it. */
			sig_rewake();
			break;
		}
	L->w->input_fd = input;
	fl = L->w->files;
	now = now_ns();
	L->late = false;
	for (i = 0; i < L->next.n && !L->late; i++) {
		t = fl->v[L->next.idx[i]].st.ctime_ns;
		L->late = t > end && t <= now;
	}
}

/* Run a round for the changes in L->next, which then starts empty again. */
static enum step_status
run_round(struct loop *L, bool new_files)
{
	struct changes now = L->next;
	enum step_status st;

	memset(&L->next, 0, sizeof L->next);
	/* Changes seen while a step runs (--restart) are for the next one. */
	L->r->pending = &L->next;
	L->r->loop = L;
	if (L->r->opt->verbose)
		report_changes(L->w->files, &now);
	if (L->before_round != NULL)
		L->before_round();
	st = round_run(L->r, &now, new_files);
	if (L->after_round != NULL)
		L->after_round();
	changes_clear(&now);
	/* Keep the bigger buffers of the two sets for the next round. */
	if (L->next.n == 0 && now.cap >= L->next.cap) {
		changes_free(&L->next);
		L->next = now;
	} else {
		changes_free(&now);
	}
	return st;
}

/*
 * Are the changes for the next round the round's own writes? They are taken
 * to be when they were all made while rounds ran: in the last two rounds,
 * or, for files the user has saved between rounds before (someone who
 * edits on while each round of a long test suite runs), in the last five.
 */
static bool
own_writes(struct loop *L)
{
	const struct filelist *fl = L->w->files;
	size_t i;

	if (L->chain <= 1)
		return false;
	for (i = 0; i < L->next.n; i++)
		if (!fl->v[L->next.idx[i]].saved)
			return true;
	return L->chain > 4;
}

/*
 * Wait for the next burst of changes and run its round. Changes made while
 * a round runs start one more round (they may be the user's saves); when
 * that round again sees only changes made while it ran, hotload takes them
 * for the round's own writes and waits for a new change (own_writes says
 * when). With --restart, a change that stopped a step starts the round
 * again at once. Waits up to timeout_ns for a change (forever if
 * negative). Returns LOOP_ROUND with the round's status in *st, or
 * LOOP_QUIT, LOOP_INPUT (input for the prompt, or nothing changed in time)
 * or LOOP_STOPPED.
 */
int
loop_next(struct loop *L, int64_t timeout_ns, enum step_status *st)
{
	bool fresh, new_files;
	int status;
	size_t i;

	for (;;) {
		pyrun_begin_wait();
		status = wait_burst(L, timeout_ns, &fresh);
		new_files = changes_settle(&L->next, L->w->files) > 0;
		pyrun_end_wait();
		if (status < 0 || status == LOOP_QUIT || status == LOOP_INPUT)
			return status;
		if (status == LOOP_ROUND) {
			/* Asked for at the keyboard: a round with what changed. */
			L->chain = 0;
		} else if (L->next.n == 0) {
			continue;
		} else if (fresh) {
			L->chain = 0;
			for (i = 0; i < L->next.n; i++)
				L->w->files->v[L->next.idx[i]].saved = true;
		} else {
			L->chain++;
		}
		if (own_writes(L)) {
			hl_msg("%s changed while the last %d rounds ran; taking "
			       "it as the round's own write (save again to "
			       "run)",
			       L->w->files->v[L->next.idx[0]].name, L->chain);
			changes_clear(&L->next);
			L->chain = 0;
			continue;
		}
		while ((*st = run_round(L, new_files)) == STEP_RESTART) {
			pyrun_begin_wait();
			status = wait_changes(L->w, 0, true, &L->next);
			new_files = changes_settle(&L->next, L->w->files) > 0;
			pyrun_end_wait();
			if (status == LOOP_STOPPED)
				return status;
			L->chain = 0;
		}
		if (*st == STEP_INTERRUPTED)
			return LOOP_STOPPED;
		return LOOP_ROUND;
	}
}

/*
 * Run rounds until a signal stops hotload or q is typed; with once, run
 * one. Returns the exit status of the last round with once, EXIT_OK after
 * q, or LOOP_STOPPED.
 */
int
loop_run(struct loop *L, bool once)
{
	enum step_status st = STEP_OK;
	int status;

	for (;;) {
		status = loop_next(L, -1, &st);
		if (status == LOOP_STOPPED)
			return status;
		if (status == LOOP_QUIT)
			return EXIT_OK;
		if (once)
			return st == STEP_OK ? EXIT_OK : EXIT_FAIL;
	}
}

void
loop_free(struct loop *L)
{
	changes_free(&L->next);
}
