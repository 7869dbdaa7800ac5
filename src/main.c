/* main.c: read the options and the files, then run rounds as files change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hotload.h"

/* A burst of changes ends after a quiet moment, or after this long. */
#define COLLATE_MAX_NS (500 * 1000000LL)

/* End hotload: by the signal that asked for it, or with status. */
static _Noreturn void
finish(int status)
{
	int signo = sig_caught();

	pyhost_finalize(signo != 0);
	fflush(stdout);
	if (signo != 0)
		sig_exit(signo);
	exit(status);
}

/* Fill fl from the arguments, or from stdin when there are none. */
static void
read_files(const struct options *o, struct filelist *fl)
{
	size_t i;
	int error;

	for (i = 0; i < o->npaths; i++) {
		error = filelist_add(fl, o->paths[i], true);
		if (error != 0)
			hl_msg("%s: %s (watching for it to appear)",
			       o->paths[i], strerror(error));
	}
	/* One round right away needs no list: stdin may never end. */
	if (o->npaths > 0 || (o->once && !o->postpone))
		return;
	if (isatty(STDIN_FILENO)) {
		hl_msg("no files to watch: name them as arguments or pipe "
		       "them in, as in: find . -name '*.py' | hotload -m lib");
		exit(EXIT_USAGE);
	}
	if (filelist_read(fl, stdin, o->null_sep ? '\0' : '\n') < 0) {
		hl_msg("cannot read the file list from stdin: %s",
		       strerror(errno));
		exit(EXIT_FAIL);
	}
}

/* Did a wait end because hotload was asked to stop? */
static bool
stopping(int waited)
{
	return waited < 0 && (sig_caught() != 0 || pyhost_interrupted());
}

/*
 * Wait for changes and run a round for each burst of them. Changes made
 * while a round runs start one more round (they may be the user's saves);
 * when that round sees changes made while it ran, and none came between,
 * hotload takes them as the round's own writes and waits for a new change.
 */
static int
watch_loop(struct watch *w, struct round *r, bool once, bool ran)
{
	struct changes chg = {0};
	enum step_status st;
	int chain = 0, n;
	bool fresh;
	int64_t start;

	for (;;) {
		fresh = false;
		pyhost_begin_wait();
		if (ran && stopping(watch_wait(w, 0, &chg)))
			finish(EXIT_FAIL);
		while (chg.n == 0) {
			n = watch_wait(w, -1, &chg);
			if (stopping(n))
				finish(EXIT_FAIL);
			fresh = n > 0;
		}
		start = mono_ns();
		while (mono_ns() - start < COLLATE_MAX_NS) {
			n = watch_wait(w, w->settle_ns, &chg);
			if (stopping(n))
				finish(EXIT_FAIL);
			if (n == 0)
				break;
			fresh |= n > 0;
		}
		pyhost_end_wait();
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
		st = round_run(r, &chg);
		changes_clear(&chg);
		ran = true;
		if (st == STEP_INTERRUPTED)
			finish(EXIT_FAIL);
		if (once)
			return st == STEP_OK ? EXIT_OK : EXIT_FAIL;
	}
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct filelist files;
	struct changes none = {0};
	struct round round;
	struct watch *w;
	enum step_status st;
	bool python;

	switch (options_parse(&opt, argc, argv, stderr)) {
	case PARSE_EXIT:
		return EXIT_OK;
	case PARSE_ERROR:
		return EXIT_USAGE;
	case PARSE_OK:
		break;
	}
	setenv("HOTLOAD_RUNNING", "1", 1);
	filelist_init(&files, opt.exts, opt.nexts);
	read_files(&opt, &files);
	if (filelist_stat_all(&files) == 0 && !(opt.once && !opt.postpone)) {
		hl_msg("nothing to watch: %s (name files as arguments or pipe "
		       "them in; see hotload(1))",
		       files.n ? "none of the files exist"
			       : "the list of files is empty");
		return EXIT_FAIL;
	}
	python = options_has_module(&opt);
	sig_init(python);
	if (python && pyhost_init(&opt, &files) != 0)
		finish(EXIT_FAIL);

	round.opt = &opt;
	round.files = &files;
	round.count = 0;
	if (!opt.postpone) {
		st = round_run(&round, &none);
		if (st == STEP_INTERRUPTED)
			finish(EXIT_FAIL);
		if (opt.once)
			finish(st == STEP_OK ? EXIT_OK : EXIT_FAIL);
	}
	w = watch_open(&files, opt.interval_ms, opt.quiet);
	if (opt.postpone && !opt.quiet)
		hl_msg("watching %zu file%s; the first round runs at the first "
		       "change",
		       files.n, files.n == 1 ? "" : "s");
	finish(watch_loop(w, &round, opt.once, !opt.postpone));
}
