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
loop_stopping(enum watch_result waited)
{
	return waited == WATCH_SIGNAL &&
	       (sig_caught() != 0 || host_interrupted());
}

/*
 * Wait for changes as watch_wait does (settle: as watch_settle does), on
 * through signals that do not stop hotload, such as SIGCHLD. Returns
 * WATCH_SIGNAL only when hotload is to stop. While the prompt waits
 * (L->prompt), a Ctrl-C is the prompt's: the wait ends as for input, with
 * L->prompt_int set, and the interrupt is left to Python.
 */
static enum watch_result
wait_changes(struct loop *L, int input_fd, int64_t timeout_ns, bool settle,
             struct changes *chg)
{
	enum watch_result n;
	unsigned long ints;

	for (;;) {
		ints = sig_int_count();
		n = settle ? watch_settle(L->w, chg)
		           : watch_wait(L->w, input_fd, timeout_ns, chg);
		if (n != WATCH_SIGNAL)
			return n;
		if (L->prompt && !settle && sig_caught() == 0 &&
		    sig_int_count() != ints) {
			L->prompt_int = true;
			return WATCH_INPUT;
		}
		if (loop_stopping(n))
			return n;
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

/* What the keys typed at the terminal ask for. */
enum keys { KEYS_NONE, KEYS_ROUND, KEYS_QUIT };

/* Read the keys typed: Enter or space asks for a round, q to quit. */
static enum keys
read_keys(int fd)
{
	char buf[64];
	ssize_t n, i;
	enum keys want = KEYS_NONE;

	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (i = 0; i < n; i++) {
			if (buf[i] == 'q' || buf[i] == 'Q')
				return KEYS_QUIT;
			if (buf[i] == '\n' || buf[i] == '\r' || buf[i] == ' ')
				want = KEYS_ROUND;
		}
	return want;
}

/* How a wait for a burst ended. */
enum burst {
	BURST_CHANGES, /* changes, in L->next */
	BURST_KEYS,    /* a round asked for at the keyboard */
	BURST_QUIT,    /* q was typed */
	BURST_INPUT,   /* input for the prompt, or the time is up */
	BURST_STOPPED, /* hotload is to stop */
};

/*
 * Wait up to timeout_ns (forever if negative) for a burst of changes,
 * gathered in L->next, or for input: keys (a round asked for, or quit) or
 * the prompt's. fresh tells whether any change came after the last round
 * ended.
 */
static enum burst
wait_burst(struct loop *L, int64_t timeout_ns, bool *fresh)
{
	enum watch_result n;
	enum keys key;

	/* What is in L->next already came while the last round ran, unless
	 * loop_steps_done saw it come after. */
	*fresh = L->late;
	L->late = false;
	while (L->next.n == 0) {
		n = wait_changes(L, L->input_fd, timeout_ns, false, &L->next);
		if (n == WATCH_SIGNAL)
			return BURST_STOPPED;
		if (n == WATCH_TIMEOUT && timeout_ns >= 0)
			return BURST_INPUT;
		if (n == WATCH_INPUT) {
			if (!L->keys)
				return BURST_INPUT;
			key = read_keys(L->input_fd);
			if (key == KEYS_QUIT)
				return BURST_QUIT;
			if (key == KEYS_ROUND)
				return BURST_KEYS;
			continue;
		}
		*fresh = n == WATCH_CHANGED;
	}
	L->w->burst = !*fresh;
	n = wait_changes(L, -1, 0, true, &L->next);
	L->w->burst = false;
	if (n == WATCH_SIGNAL)
		return BURST_STOPPED;
	*fresh |= n == WATCH_CHANGED;
	return BURST_CHANGES;
}

/*
 * The round's steps are done: take the changes made while they ran, before
 * the round's end is reported, so that a save made after the report is
 * never taken for the round's own write. A file whose change time is after
 * the steps ended (and not after now: a clock that runs ahead proves
 * nothing) was changed by someone else, as soon as they saw the output.
 */
static void
steps_done(struct loop *L)
{
	struct filelist *fl;
	int64_t end = now_ns(), now, t;
	enum watch_result n;
	size_t i;

	if (L->w == NULL) /* one round, no watching */
		return;
	while ((n = watch_wait(L->w, -1, 0, &L->next)) == WATCH_SIGNAL)
		if (loop_stopping(n)) {
			/* The wait took the signal's wake-up: leave one for the
			 * loop, which stops on it. */
			sig_rewake();
			break;
		}
	fl = L->w->files;
	now = now_ns();
	L->late = false;
	for (i = 0; i < L->next.n && !L->late; i++) {
		t = fl->v[L->next.idx[i]].st.ctime_ns;
		L->late = t > end && t <= now;
	}
	/* A file the steps are known not to have written was saved. */
	if (!L->r.ran_command && host_round_writes(fl, &L->next))
		for (i = 0; i < L->next.n; i++) {
			struct entry *e = &fl->v[L->next.idx[i]];

			if (!e->wrote)
				e->others_at = L->r.count;
		}
}

/*
 * Run a round for the changes chg: its steps, then, before its status line,
 * take the changes its steps made (steps_done), and with --auto, the files
 * of the modules imported now.
 */
static enum step_status
round_for(struct loop *L, const struct changes *chg, bool new_files)
{
	enum step_status st = round_run(&L->r, chg, new_files);

	if (st != STEP_INTERRUPTED) {
		steps_done(L);
		if (L->r.opt->auto_files && L->w != NULL)
			host_update_files(L->w, L->r.opt);
	}
	return round_report(&L->r, st);
}

/* The first round, at start: for no change. */
enum step_status
loop_first_round(struct loop *L)
{
	struct changes none = {0};

	return round_for(L, &none, false);
}

/* The burst in L->next is over: make it ready for its round. Returns
 * whether files appeared. */
static bool
settle(struct loop *L)
{
	return changes_settle(&L->next, L->w->files, L->r.opt->quiet,
	                      L->r.opt->verbose) > 0;
}

/* Run a round for the changes in L->next, which then starts empty again. */
static enum step_status
run_round(struct loop *L, bool new_files)
{
	struct changes now = L->next;
	enum step_status st;

	memset(&L->next, 0, sizeof L->next);
	if (L->r.opt->verbose)
		report_changes(L->w->files, &now);
	if (L->before_round != NULL)
		L->before_round();
	st = round_for(L, &now, new_files);
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

/* Rounds in a row, each begun by changes made while the one before ran,
 * after which hotload takes the changes for the rounds' own writes, however
 * they go: a step that writes a new file each round. */
#define CHAIN_MAX 10

/*
 * Note that the files of a burst that came while round number count ran
 * changed then: one more round in a row, for those that changed while the
 * round before ran too, in the same chain of rounds (since the user's last
 * save). A file the round's steps are known not to have written was saved
 * by the user: none.
 */
static void
count_during(struct loop *L, unsigned long count)
{
	size_t i;

	for (i = 0; i < L->next.n; i++) {
		struct entry *e = &L->w->files->v[L->next.idx[i]];
		bool in_a_row =
		    e->during_at + 1 == count && e->during_at >= L->chain_from;

		if (e->others_at == count) {
			e->saved = true;
			e->during = 0;
		} else {
			e->during = in_a_row ? e->during + 1 : 1;
		}
		e->during_at = count;
	}
}

/*
 * The changes for the next round are the user's: no chain of rounds, and
 * no file changed while rounds ran; saved, they were saved between rounds.
 */
static void
users(struct loop *L, bool saved)
{
	size_t i;

	L->chain = 0;
	L->chain_from = L->r.count + 1;
	for (i = 0; saved && i < L->next.n; i++)
		L->w->files->v[L->next.idx[i]].saved = true;
}

/*
 * Are the changes for the next round the round's own writes? They are taken
 * to be when each of their files changed while each of the last two rounds
 * ran (a step rewrites what it reads), or, for a file the user has saved
 * between rounds before (someone who edits on while each round of a long
 * test suite runs), the last five; a file saved while a round ran for the
 * first time is the user's, and so is one the round's steps are known not
 * to have written (count_during). Whatever the files, CHAIN_MAX rounds in a
 * row end it.
 */
static bool
own_writes(struct loop *L)
{
	const struct filelist *fl = L->w->files;
	const struct entry *e;
	size_t i;

	if (L->chain <= 1)
		return false;
	if (L->chain >= CHAIN_MAX)
		return true;
	for (i = 0; i < L->next.n; i++) {
		e = &fl->v[L->next.idx[i]];
		if (e->during < (e->saved ? 5u : 2u))
			return false;
	}
	return true;
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
enum loop_result
loop_next(struct loop *L, int64_t timeout_ns, enum step_status *st)
{
	bool fresh, new_files;
	enum burst got;
	enum watch_result n;

	for (;;) {
		host_begin_wait();
		got = wait_burst(L, timeout_ns, &fresh);
		new_files = settle(L);
		host_end_wait();
		if (got == BURST_STOPPED)
			return LOOP_STOPPED;
		if (got == BURST_QUIT)
			return LOOP_QUIT;
		if (got == BURST_INPUT)
			return LOOP_INPUT;
		if (got == BURST_KEYS) {
			/* Asked for at the keyboard: a round with what changed.
			 */
			users(L, false);
		} else if (L->next.n == 0) {
			continue;
		} else if (fresh) {
			users(L, true);
		} else {
			L->chain++;
			count_during(L, L->r.count);
		}
		if (own_writes(L)) {
			hl_msg(
			    "%s changed while the last %u rounds ran; taking "
			    "it as the round's own write (save again to "
			    "run)",
			    L->w->files->v[L->next.idx[0]].name,
			    L->chain < CHAIN_MAX
			        ? L->w->files->v[L->next.idx[0]].during
			        : (unsigned)L->chain);
			changes_clear(&L->next);
			L->chain = 0;
			continue;
		}
		while ((*st = run_round(L, new_files)) == STEP_RESTART) {
			host_begin_wait();
			n = wait_changes(L, -1, 0, true, &L->next);
			new_files = settle(L);
			host_end_wait();
			if (n == WATCH_SIGNAL)
				return LOOP_STOPPED;
			users(L, false);
		}
		if (*st == STEP_INTERRUPTED)
			return LOOP_STOPPED;
		return LOOP_ROUND;
	}
}

/*
 * Run rounds until a signal stops hotload or q is typed; with once, run
 * one. Returns LOOP_STOPPED, LOOP_QUIT, or LOOP_ROUND after the round run
 * with once, whose status is in *st.
 */
enum loop_result
loop_run(struct loop *L, bool once, enum step_status *st)
{
	enum loop_result r;

	*st = STEP_OK;
	for (;;) {
		r = loop_next(L, -1, st);
		if (r == LOOP_STOPPED || r == LOOP_QUIT || once)
			return r;
	}
}

/*
 * Set up L to run the rounds of the options o over the files fl, watched by
 * w (NULL for one round and no watching).
 */
void
loop_init(struct loop *L, const struct options *o, struct filelist *fl,
          struct watch *w)
{
	memset(L, 0, sizeof *L);
	L->w = w;
	L->input_fd = -1;
	L->r.opt = o;
	L->r.files = fl;
	L->r.w = w;
	/* Changes seen while a step runs (--restart) are for the next
	 * round. */
	L->r.pending = &L->next;
}

void
loop_free(struct loop *L)
{
	changes_free(&L->next);
}
