/*
 * test_loop.c: the loop's rules (loop.c), with a scripted watcher backend
 * and a scripted host, so that no timing is involved: which changes start
 * a round, which are taken for a round's own writes, and what --restart
 * does with a save made while a step runs.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

#define NFILES 3
#define MAXROUNDS 64

/* The script: what the user saves, and what each round writes. */
static struct {
	int saves[16];   /* files the user saves, one per wait for a change */
	size_t nsaves;   /* how many of them */
	size_t next;     /* the next to be saved */
	int writes;      /* the file each round's step writes, or -1 */
	int writes_from; /* from which round on (1: the first) */
	int writes_to;   /* to which round (0: all) */
	bool knows;      /* the host knows what the steps wrote */
	bool by_user;    /* and it was not them: the user saves while rounds
	                  * run */
	bool rotate;     /* each round writes the next file, in turn */
	int late;        /* a file saved just after the steps of round */
	int late_round;  /* late_round (counting the first) */
	int restart_on;  /* the round whose step a save stops (--restart) */
	int rounds;      /* rounds run so far */
	struct changes queued; /* changes made while the steps ran */
	struct filelist *fl;
} script;

/* A change to file i, made now. */
static void
change(struct changes *out, int i)
{
	struct fstate *st = &script.fl->v[i].st;

	st->exists = true;
	st->ctime_ns = now_ns();
	changes_add(out, (size_t)i);
}

static int
fake_open(struct watch *w)
{
	(void)w;
	return 0;
}

/*
 * A wait that may block (timeout < 0) gives the user's next save, or, at
 * the end of the script, a SIGTERM. A look (timeout 0) gives the changes
 * the steps made, and a save made just after them.
 */
static enum watch_result
fake_wait(struct watch *w, int input_fd, int64_t timeout_ns,
          struct changes *out)
{
	size_t i;
	int n = 0;

	(void)w;
	(void)input_fd;
	for (i = 0; i < script.queued.n; i++, n++)
		changes_add(out, script.queued.idx[i]);
	changes_clear(&script.queued);
	if (timeout_ns == 0 && script.late >= 0 &&
	    script.rounds == script.late_round) {
		change(out, script.late);
		script.late = -1;
		n++;
	}
	if (n > 0)
		return WATCH_CHANGED;
	if (timeout_ns >= 0)
		return WATCH_TIMEOUT;
	if (script.next < script.nsaves) {
		change(out, script.saves[script.next++]);
		return WATCH_CHANGED;
	}
	sig_note(SIGTERM);
	return WATCH_SIGNAL;
}

/* A burst is over as soon as it starts: nothing more comes. */
static enum watch_result
fake_settle(struct watch *w, struct changes *out, int64_t limit)
{
	(void)w;
	(void)out;
	(void)limit;
	return WATCH_TIMEOUT;
}

static const struct watch_backend fake_backend = {
    "fake", fake_open, fake_wait, fake_settle, NULL, NULL,
};

/* The host: a step that counts rounds and writes what the script says. */
static void
fake_round_begin(unsigned long count, const struct filelist *fl,
                 const struct changes *chg, bool new_files)
{
	(void)count;
	(void)fl;
	(void)chg;
	(void)new_files;
}

static enum step_status
fake_call_step(struct step *s, char *detail, size_t len)
{
	(void)s;
	(void)detail;
	(void)len;
	script.rounds++;
	if (script.rotate)
		script.writes = script.rounds % NFILES;
	if (script.writes >= 0 && script.rounds >= script.writes_from &&
	    (script.writes_to == 0 || script.rounds <= script.writes_to)) {
		script.fl->v[script.writes].st.exists = true;
		script.fl->v[script.writes].st.ctime_ns = now_ns();
		changes_add(&script.queued, (size_t)script.writes);
	}
	return STEP_OK;
}

/* A module step under --restart: the script's save stops it. */
static enum step_status
fake_module_step(struct round *r, struct step *s, char *detail, size_t len)
{
	enum step_status st = fake_call_step(s, detail, len);

	if (script.rounds == script.restart_on && script.next < script.nsaves) {
		change(r->pending, script.saves[script.next++]);
		snprintf(detail, len, "stopped for a change");
		return STEP_RESTART;
	}
	return st;
}

static void
nothing(void)
{
}

static bool
never(void)
{
	return false;
}

/* What the round's steps wrote, if the script says the host knows. */
static bool
fake_round_writes(struct filelist *fl, const struct changes *chg)
{
	size_t i;

	for (i = 0; script.knows && i < chg->n; i++)
		fl->v[chg->idx[i]].wrote =
		    !script.by_user && (int)chg->idx[i] == script.writes;
	return script.knows;
}

static const struct host fake_host = {
    fake_round_begin,  fake_module_step,
    fake_call_step,    nothing,
    nothing,           never,
    nothing,           NULL,
    fake_round_writes,
};

/*
 * Run the loop over the script until it ends; kind is the step's kind.
 * Returns how many rounds ran after the first.
 */
static int
run(enum step_kind kind)
{
	static char path[NFILES][64];
	struct step step = {0};
	struct options o;
	struct filelist fl;
	struct watch w = {0};
	struct loop L;
	enum step_status st;
	int i, first;

	options_init(&o);
	o.quiet = true;
	step.kind = kind;
	step.label = "step";
	o.steps = &step;
	o.nsteps = 1;
	o.restart = kind == STEP_MODULE;
	filelist_init(&fl, NULL, 0);
	for (i = 0; i < NFILES; i++) {
		snprintf(path[i], sizeof path[i], "/nonexistent/loop%d.py", i);
		filelist_add(&fl, path[i], true);
	}
	CHECK(fl.n == NFILES);
	script.fl = &fl;
	script.rounds = 0;
	script.next = 0;
	w.be = &fake_backend;
	w.files = &fl;
	w.quiet = true;
	host_set(&fake_host);
	loop_init(&L, &o, &fl, &w);
	loop_first_round(&L);
	first = script.rounds;
	while (loop_next(&L, -1, &st) == LOOP_ROUND &&
	       script.rounds < MAXROUNDS)
		;
	sig_forget(SIGTERM);
	loop_free(&L);
	changes_free(&script.queued);
	host_set(NULL);
	filelist_free(&fl);
	return script.rounds - first;
}

/* Set the script up: the saves, then what each round writes. */
static void
plan(int writes, size_t nsaves, const int *saves)
{
	size_t i;

	memset(&script, 0, sizeof script);
	script.writes = writes;
	script.writes_from = 2;
	script.late = -1;
	script.nsaves = nsaves;
	for (i = 0; i < nsaves; i++)
		script.saves[i] = saves[i];
}

/* Each save between rounds runs one round. */
static void
test_saves_run_rounds(void)
{
	static const int saves[] = {0, 1, 0};

	plan(-1, 3, saves);
	CHECK(run(STEP_CALL) == 3);
}

/*
 * A step that writes a watched file in every round: the save's round, one
 * more for what it wrote (it may have been the user's), then it is taken
 * for the round's own write.
 */
static void
test_own_write_stops_after_two_rounds(void)
{
	static const int saves[] = {0};

	plan(1, 1, saves);
	CHECK(run(STEP_CALL) == 2);
}

/* The first round, at start, writes too: the same rule holds. */
static void
test_own_write_with_no_save(void)
{
	plan(1, 0, NULL);
	script.writes_from = 1;
	CHECK(run(STEP_CALL) == 1);
}

/*
 * A file the user has saved between rounds, written while rounds run, is
 * taken for the user's for five rounds in a row (someone editing on while
 * a slow suite runs), not two.
 */
static void
test_a_file_the_user_saves_gets_five_rounds(void)
{
	static const int saves[] = {1};

	plan(1, 1, saves);
	CHECK(run(STEP_CALL) == 5);
}

/*
 * A change made after the steps ended, but seen before the status line,
 * is a save: the chain of own writes starts again, and the files of its
 * burst count as the user's. Rounds: the save's, one for its write, the
 * late save's, then four for the write, now of a file the user saved.
 * Without the rule, the second round's write would end it all at two.
 */
static void
test_change_after_the_steps_is_a_save(void)
{
	static const int saves[] = {0};

	plan(1, 1, saves);
	script.late = 2;
	script.late_round = 3;
	CHECK(run(STEP_CALL) == 7);
}

/*
 * Saves of other files, each while the last one's round runs (or a step
 * that writes another file each time): each is a round, until ten rounds
 * in a row, however the files go.
 */
static void
test_saves_of_other_files_while_rounds_run(void)
{
	static const int saves[] = {0};

	plan(0, 1, saves);
	script.rotate = true;
	CHECK(run(STEP_CALL) == 10);
}

/*
 * A step known to write a watched file in every round: as when nobody
 * knows, the save's round and one more.
 */
static void
test_known_own_write_stops_after_two_rounds(void)
{
	static const int saves[] = {0};

	plan(1, 1, saves);
	script.knows = true;
	CHECK(run(STEP_CALL) == 2);
}

/*
 * The user saves a file while each of rounds 2 to 7 runs (a round prints
 * at once, then works on; the user saves as soon as it printed), and the
 * host knows the steps did not write it: each save gets its round. When
 * nobody knows, the second of them is taken for the round's own write.
 */
static void
test_saves_while_rounds_run_known_to_be_the_users(void)
{
	static const int saves[] = {0};

	plan(1, 1, saves);
	script.writes_to = 7;
	script.knows = true;
	script.by_user = true;
	CHECK(run(STEP_CALL) == 7);
	plan(1, 1, saves);
	script.writes_to = 7;
	CHECK(run(STEP_CALL) == 2);
}

/* With --restart, a save that stops a step starts the round again. */
static void
test_restart_runs_the_round_again(void)
{
	static const int saves[] = {0, 0};

	plan(-1, 2, saves);
	script.restart_on = 2;
	/* The first save's round, stopped by the second save, and the round
	 * that runs again for it. */
	CHECK(run(STEP_MODULE) == 2);
}

int
main(void)
{
	test_saves_run_rounds();
	test_own_write_stops_after_two_rounds();
	test_own_write_with_no_save();
	test_a_file_the_user_saves_gets_five_rounds();
	test_change_after_the_steps_is_a_save();
	test_saves_of_other_files_while_rounds_run();
	test_restart_runs_the_round_again();
	test_known_own_write_stops_after_two_rounds();
	test_saves_while_rounds_run_known_to_be_the_users();
	return CHECK_DONE();
}
