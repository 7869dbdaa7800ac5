/* main.c: read the options and the files, then run rounds as files change. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

static const struct options *options;

/*
 * End hotload, after stopping the commands still running: by the signal
 * that asked for it, if one did, or with status.
 */
static _Noreturn void
finish(int status)
{
	int signo = sig_caught();

	command_stop_all(options);
	pyhost_finalize(signo != 0);
	term_restore();
	fflush(stdout);
	if (signo != 0)
		sig_exit(signo);
	exit(status);
}

/* A signal asked hotload to end: end by it. */
static _Noreturn void
stop_now(void)
{
	finish(EXIT_FAIL);
}

/*
 * When none of the FILE and DIR operands exists (a name mistyped, as in
 * hotload -m lib lbi.py), say so in one message and exit: there would be
 * nothing to watch.
 */
static void
check_some_exist(const struct options *o)
{
	char names[512] = "";
	struct stat st;
	size_t i, used = 0;
	int error = 0;

	for (i = 0; i < o->npaths; i++) {
		if (stat(o->paths[i], &st) == 0)
			return;
		if (i == 0)
			error = errno;
		else if (errno != error)
			error = -1;
		if (i < 3)
			used += (size_t)snprintf(names + used,
			                         sizeof names - used, "%s%s",
			                         i ? ", " : "", o->paths[i]);
		if (used >= sizeof names)
			used = sizeof names - 1;
	}
	if (o->npaths > 3)
		snprintf(names + used, sizeof names - used, " and %zu more",
		         o->npaths - 3);
	hl_msg("%s: %s, and there is nothing else to watch (check the "
	       "name%s; see hotload(1))",
	       names, error > 0 ? strerror(error) : "cannot be looked at",
	       o->npaths > 1 ? "s" : "");
	exit(EXIT_FAIL);
}

/* Fill fl from the arguments, or from stdin when there are none. */
static void
read_files(const struct options *o, struct filelist *fl)
{
	size_t i;

	if (o->npaths > 0 && !o->auto_files && !(o->once && !o->postpone))
		check_some_exist(o);
	for (i = 0; i < o->npaths; i++)
		filelist_add(fl, o->paths[i], true);
	/* One round right away needs no list: stdin may never end. With
	 * --auto, the modules' files are the list. */
	if (o->npaths > 0 || o->auto_files || (o->once && !o->postpone)) {
		filelist_report_rest(fl);
		return;
	}
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
	filelist_report_rest(fl);
}

/*
 * Make sure descriptors 0, 1 and 2 are open, on /dev/null if need be, so
 * that no file hotload opens takes their place.
 */
static void
open_std_fds(void)
{
	int fd;

	while ((fd = open("/dev/null", O_RDWR)) != -1 && fd <= 2)
		;
	if (fd > 2)
		close(fd);
}

/*
 * Check what the options cannot do together, now that the file list is
 * read. Returns false after a message.
 */
static bool
check_options(struct options *o)
{
	int tty;

	if (o->repl && (o->once || o->non_interactive)) {
		hl_msg("--repl needs the terminal; it cannot go with %s",
		       o->once ? "--once" : "--non-interactive");
		return false;
	}
	if (o->pdb && o->non_interactive) {
		hl_msg("--pdb debugs at the terminal; it cannot go with "
		       "--non-interactive");
		return false;
	}
	if (o->pdb && !isatty(STDIN_FILENO)) {
		tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty == -1) {
			hl_msg("--pdb needs a terminal to debug at, and there "
			       "is none");
			return false;
		}
		close(tty);
	}
	if (o->repl && !isatty(STDIN_FILENO)) {
		/* The file list came on stdin: the prompt reads the terminal.
		 */
		tty = open("/dev/tty", O_RDWR | O_CLOEXEC);
		if (tty == -1 || dup2(tty, STDIN_FILENO) == -1) {
			hl_msg("--repl needs a terminal, and there is none");
			return false;
		}
		close(tty);
	}
	return true;
}

/*
 * HOTLOAD_RECURSIVE in the environment: -R when it is its own name, 1, true
 * or yes, in any case; nothing, 0, false or no leave -R as it is; any other
 * value is said once.
 */
static void
read_recursive(struct options *o)
{
	static const char *const on[] = {"HOTLOAD_RECURSIVE", "1", "true",
	                                 "yes"};
	static const char *const off[] = {"", "0", "false", "no"};
	const char *env = getenv("HOTLOAD_RECURSIVE");
	size_t i;

	if (env == NULL)
		return;
	for (i = 0; i < sizeof on / sizeof on[0]; i++) {
		if (strcasecmp(env, on[i]) == 0) {
			o->recursive = true;
			return;
		}
		if (strcasecmp(env, off[i]) == 0)
			return;
	}
	hl_msg("HOTLOAD_RECURSIVE=%s is not understood, and left off: set it "
	       "to 1, true or yes for what -R does",
	       env);
}

/*
 * --events FILE: make its name absolute (Python code may change directory)
 * and create it, so that a directory walk finds it if it is among the
 * files to watch. Returns false after a message if it cannot be written.
 */
static bool
open_events(struct options *o, const struct filelist *fl)
{
	char *path;
	int fd;

	if (o->events == NULL)
		return true;
	path = path_join_clean(fl->cwd, fl->cwdlen, o->events);
	o->events = path;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	if (fd == -1) {
		hl_msg("--events %s: %s", path, strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

/*
 * Is the --events file among the files to watch? Each round's line would
 * then start another round: say so.
 */
static bool
events_watched(const struct options *o, struct filelist *fl)
{
	if (o->events == NULL || !filelist_has(fl, o->events))
		return false;
	hl_msg("--events %s: the file is among the files watched, so that "
	       "each round's line would start another round; give one out "
	       "of them, or a hidden name such as .hotload-events.jsonl, "
	       "which directories leave out",
	       o->events);
	return true;
}

/*
 * Read keys from the terminal when stdin carried the file list (as entr
 * does), unless told not to; commands then read /dev/null.
 */
static void
setup_keys(const struct options *o, struct loop *L)
{
	if (o->once || o->repl || o->non_interactive || o->npaths > 0 ||
	    o->auto_files || isatty(STDIN_FILENO))
		return;
	L->input_fd = term_open_keys();
	L->keys = L->input_fd != -1;
	L->r.stdin_null = L->keys;
}

int
main(int argc, char **argv)
{
	struct options opt;
	struct filelist files;
	struct loop loop;
	struct watch *w = NULL;
	enum step_status st;
	enum loop_result end;
	bool python, watching;

	open_std_fds();
	switch (options_parse(&opt, argc, argv, stderr)) {
	case PARSE_EXIT:
		return EXIT_OK;
	case PARSE_ERROR:
		return EXIT_USAGE;
	case PARSE_OK:
		break;
	}
	options = &opt;
	setenv("HOTLOAD_RUNNING", "1", 1);
	read_recursive(&opt);
	/* A --module, nothing named, and no list coming on stdin: watch the
	 * files of the modules it imports. */
	if (opt.npaths == 0 && options_has_module(&opt) &&
	    isatty(STDIN_FILENO) && !(opt.once && !opt.postpone))
		opt.auto_files = true;
	/* A changed module is reloaded before the modules that import it:
	 * else, watching it would do nothing. */
	if (opt.auto_files)
		opt.recursive = true;
	python = options_has_module(&opt) || opt.repl;
	if (sig_init(python, true) != 0) {
		hl_msg("cannot create a pipe: %s", strerror(errno));
		return EXIT_FAIL;
	}
	sig_watch_output(true);
	if (filelist_init(&files, opt.exts, opt.nexts) != 0) {
		hl_msg("cannot find the current directory: %s",
		       strerror(errno));
		return EXIT_FAIL;
	}
	filelist_ignore(&files, &opt);
	if (!open_events(&opt, &files))
		return EXIT_FAIL;
	read_files(&opt, &files);
	if (!check_options(&opt) || events_watched(&opt, &files))
		return EXIT_USAGE;
	/* One round and out needs no watcher; else watch, then look. */
	watching = !(opt.once && !opt.postpone);
	if (watching && (w = watch_open(&files, &opt)) == NULL)
		return EXIT_FAIL;
	if (filelist_stat_all(&files) == 0 && watching && !opt.auto_files) {
		hl_msg("nothing to watch: %s (name files as arguments or pipe "
		       "them in; see hotload(1))",
		       files.n ? "none of the files exist"
		               : "the list of files is empty");
		return EXIT_FAIL;
	}
	loop_init(&loop, &opt, &files, w);
	loop.r.stdin_null = opt.repl;
	setup_keys(&opt, &loop);
	if (python && pyhost_init(&opt, &files, stop_now) != 0)
		finish(EXIT_FAIL);
	if (opt.auto_files && w != NULL) {
		host_update_files(w, &opt);
		if (files.n == 0) {
			hl_msg("nothing to watch: no --module's file was found "
			       "(check the names, or name files as arguments; "
			       "see hotload(1))");
			finish(EXIT_FAIL);
		}
	}

	if (!opt.postpone) {
		st = loop_first_round(&loop);
		if (st == STEP_INTERRUPTED)
			stop_now();
		if (opt.once)
			finish(st == STEP_OK ? EXIT_OK : EXIT_FAIL);
	} else if (!opt.quiet) {
		hl_msg("watching %zu file%s; the first round runs at the first "
		       "change",
		       files.n, files.n == 1 ? "" : "s");
	}
	if (opt.repl)
		finish(pyhost_repl(&loop));
	end = loop_run(&loop, opt.once, &st);
	if (end == LOOP_STOPPED)
		stop_now();
	finish(end == LOOP_QUIT || st == STEP_OK ? EXIT_OK : EXIT_FAIL);
}
