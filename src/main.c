/* main.c: read the options and the files, then run rounds as files change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hotload.h"

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

/* Did a wait end because hotload was asked to stop? */
static bool
stopping(int waited)
{
	return waited < 0 && (sig_caught() != 0 || pyhost_interrupted());
}

/*
 * Wait for changes as watch_wait does (settle: as watch_settle does), on
 * through signals that do not stop hotload, such as SIGCHLD.
 */
static int
wait_changes(struct watch *w, int64_t timeout_ns, bool settle,
	     struct changes *chg)
{
	int n;

	while ((n = settle ? watch_settle(w, chg)
			   : watch_wait(w, timeout_ns, chg)) < 0)
		if (stopping(n))
			finish(EXIT_FAIL);
	return n;
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
	int chain = 0;
	bool fresh;

	for (;;) {
		fresh = false;
		pyhost_begin_wait();
		if (ran)
			wait_changes(w, 0, false, &chg);
		while (chg.n == 0)
			fresh = wait_changes(w, -1, false, &chg) > 0;
		fresh |= wait_changes(w, 0, true, &chg) > 0;
		changes_settle(&chg, w->files);
		if (chg.n == 0)
			continue;
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
		if (r->opt->verbose)
			report_changes(w->files, &chg);
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
	struct watch *w = NULL;
	enum step_status st;
	bool python, watching;

	switch (options_parse(&opt, argc, argv, stderr)) {
	case PARSE_EXIT:
		return EXIT_OK;
	case PARSE_ERROR:
		return EXIT_USAGE;
	case PARSE_OK:
		break;
	}
	setenv("HOTLOAD_RUNNING", "1", 1);
	python = options_has_module(&opt);
	sig_init(python);
	filelist_init(&files, opt.exts, opt.nexts);
	read_files(&opt, &files);
	/* One round and out needs no watcher; else watch, then look. */
	watching = !(opt.once && !opt.postpone);
	if (watching && (w = watch_open(&files, &opt)) == NULL)
		return EXIT_FAIL;
	if (filelist_stat_all(&files) == 0 && watching) {
		hl_msg("nothing to watch: %s (name files as arguments or pipe "
		       "them in; see hotload(1))",
		       files.n ? "none of the files exist"
			       : "the list of files is empty");
		return EXIT_FAIL;
	}
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
	} else if (!opt.quiet) {
		hl_msg("watching %zu file%s; the first round runs at the first "
		       "change",
		       files.n, files.n == 1 ? "" : "s");
	}
	finish(watch_loop(w, &round, opt.once, !opt.postpone));
}
