/*
 * options.c: the command line. The table below is the one description of
 * every option: --help is printed from it, getopt_long's tables are built
 * from it, and the tests check the man page and completions against --help.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <strings.h>

#include "hotload.h"

enum {
	OPT_PRE_HOOK = 256,
	OPT_POST_HOOK,
	OPT_PDB,
	OPT_EVENTS,
	OPT_COLOR,
	OPT_NO_CLEAR,
	OPT_WATCHER,
	OPT_REPL,
	OPT_RESTART,
	OPT_SIGNAL,
	OPT_KILL_AFTER,
	OPT_IGNORE,
	OPT_NO_IGNORE,
	OPT_NO_PATCH,
};

struct optdef {
	int id;          /* getopt_long's value: the short letter, or OPT_* */
	const char *name; /* long name; NULL starts a new group */
	const char *arg;  /* argument's name, or NULL */
	const char *help; /* lines separated by '\n' */
};

static const struct optdef optdefs[] = {
	{0, NULL, NULL, "Steps, run in command-line order in every round:"},
	{'m', "module", "NAME",
	 "import NAME in the first round, reload it in later\n"
	 "ones; NAME is lib, lib.py, pkg/mod.py or pkg.mod"},
	{OPT_PRE_HOOK, "pre-hook", "FUNC",
	 "call FUNC() of the --module before it, before each\n"
	 "reload"},
	{OPT_POST_HOOK, "post-hook", "FUNC",
	 "call FUNC() of the --module before it, after each\n"
	 "import or reload"},
	{OPT_POST_HOOK, "entrypoint", "FUNC", "the same as --post-hook"},
	{'R', "recursive", NULL,
	 "before a --module is reloaded, reload the imported\n"
	 "modules whose files changed, dependencies first"},
	{OPT_NO_PATCH, "no-patch", NULL,
	 "reload plainly (importlib.reload): what holds the old\n"
	 "functions, classes and instances keeps the old code"},
	{'r', "run", "CMD",
	 "run CMD with /bin/sh -c; the files changed in the\n"
	 "round are its \"$@\" and $HOTLOAD_CHANGED"},
	{'c', "clear-terminal", NULL,
	 "clear the screen and scrollback before each round"},
	{OPT_NO_CLEAR, "no-clear", NULL, "do not clear the screen (the default)"},
	{OPT_RESTART, "restart", NULL,
	 "a change stops a --run command or --module step that\n"
	 "still runs, and starts the round again"},
	{OPT_SIGNAL, "signal", "SIG",
	 "stop commands with signal SIG (default TERM)"},
	{OPT_KILL_AFTER, "kill-after", "SECONDS",
	 "then kill them if they still run SECONDS later (5)"},
	{0, NULL, NULL, "What to watch:"},
	{'a', "auto", NULL,
	 "the files of the --modules and of the modules they\n"
	 "import, but the standard library's and installed\n"
	 "packages', taken again after every round (the default\n"
	 "with a --module, no FILE or DIR and stdin a terminal)"},
	{'e', "ext", "EXT",
	 "keep only files ending in EXT (.py or py) from\n"
	 "directories and stdin; repeatable"},
	{'0', "null", NULL, "read NUL-separated paths from stdin (-print0)"},
	{OPT_IGNORE, "ignore", "GLOB",
	 "leave out of directories what GLOB matches, a\n"
	 "gitignore pattern from the current directory;\n"
	 "repeatable"},
	{OPT_NO_IGNORE, "no-ignore", NULL,
	 "read no ignore files and drop the built-in rules,\n"
	 "but for hidden files and __pycache__ (--ignore stays)"},
	{0, NULL, NULL, "Control:"},
	{'p', "postpone", NULL, "wait for a change before the first round"},
	{'1', "once", NULL,
	 "run one round and exit: 0 if every step succeeded,\n"
	 "1 if one failed"},
	{OPT_WATCHER, "watcher", "KIND",
	 "how to watch: auto (the default: inotify on Linux,\n"
	 "polling elsewhere or if inotify cannot serve),\n"
	 "inotify or poll"},
	{'i', "interval", "MS",
	 "poll every MS milliseconds (default 6.94: 144 Hz)"},
	{OPT_REPL, "repl", NULL,
	 "after the first round, a Python prompt that sees the\n"
	 "newest code; saves still run rounds"},
	{OPT_PDB, "pdb", NULL,
	 "when Python code fails, debug it post-mortem with pdb\n"
	 "at the terminal; leaving pdb goes back to watching"},
	{'n', "non-interactive", NULL,
	 "never read keys from the terminal (Enter: run a round,\n"
	 "q: quit; read when stdin carries the file list)"},
	{OPT_EVENTS, "events", "FILE",
	 "append a line of JSON to FILE after each round: its\n"
	 "outcome, changed files, steps and Python errors"},
	{OPT_COLOR, "color", "WHEN",
	 "status lines in colour: auto (on a terminal, unless\n"
	 "NO_COLOR is set), always or never"},
	{'q', "quiet", NULL, "print no status lines"},
	{'v', "verbose", NULL,
	 "say how files are watched and which ones changed"},
	{'h', "help", NULL, "show this help and exit"},
	{'V', "version", NULL, "show the version and exit"},
};

#define NOPTDEFS (sizeof optdefs / sizeof optdefs[0])

static const char usage_head[] =
    "usage: hotload [options] [FILE|DIR ...]\n"
    "       find . -name '*.py' | hotload [options]\n"
    "\n"
    "Watch files; on every change, reload Python modules inside one\n"
    "long-lived interpreter and run shell commands.\n";

static const char usage_tail[] =
    "\n"
    "With no FILE or DIR, the paths to watch are read from stdin, one per "
    "line,\n"
    "unless --auto is given, or stdin is a terminal and a --module is "
    "given.\n"
    "A DIR stands for the files below it, except hidden ones, __pycache__\n"
    "and what git's ignore files, .ignore files and built-in rules leave "
    "out.\n"
    "Exit status: 0 a --once round succeeded, 1 it failed or nothing to "
    "watch,\n"
    "2 usage error; a signal N ends hotload as 128+N (130 for Ctrl-C).\n"
    "See hotload(1).\n";

/* Print --help, written from the option table. */
void
options_usage(FILE *fp)
{
	const struct optdef *d;
	const char *line, *nl;
	char left[64];
	size_t i;

	fputs(usage_head, fp);
	for (i = 0; i < NOPTDEFS; i++) {
		d = &optdefs[i];
		if (d->name == NULL) {
			fprintf(fp, "\n%s\n", d->help);
			continue;
		}
		if (d->id < 256)
			snprintf(left, sizeof left, "-%c, --%s%s%s", d->id,
				 d->name, d->arg ? " " : "",
				 d->arg ? d->arg : "");
		else
			snprintf(left, sizeof left, "    --%s%s%s", d->name,
				 d->arg ? " " : "", d->arg ? d->arg : "");
		/* A long option name gets a line of its own. */
		if (strlen(left) > 22)
			fprintf(fp, "  %s\n", left);
		for (line = d->help; line != NULL; line = nl ? nl + 1 : NULL) {
			nl = strchr(line, '\n');
			fprintf(fp, "  %-22s %.*s\n",
				line == d->help && strlen(left) <= 22 ? left
								      : "",
				(int)(nl ? nl - line : (ptrdiff_t)strlen(line)),
				line);
		}
	}
	fputs(usage_tail, fp);
}

static void
add_step(struct options *o, enum step_kind kind, const char *arg)
{
	struct step *s;

	o->steps = xreallocarray(o->steps, o->nsteps + 1, sizeof *o->steps);
	s = &o->steps[o->nsteps++];
	memset(s, 0, sizeof *s);
	s->kind = kind;
	s->arg = arg;
	/* A command is named in the status line by its text, shortened. */
	s->label = xmalloc(48);
	if (strlen(arg) > 40)
		snprintf(s->label, 48, "'%.37s...'", arg);
	else
		snprintf(s->label, 48, "'%s'", arg);
}

/* Is s a dotted Python name such as "main" or "App.run"? */
static bool
is_dotted_name(const char *s)
{
	bool start = true;

	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.') {
			if (start)
				return false;
			start = true;
		} else if (c == '_' || (c >= 'a' && c <= 'z') ||
			   (c >= 'A' && c <= 'Z') || c >= 0x80) {
			start = false;
		} else if (c >= '0' && c <= '9') {
			if (start)
				return false;
		} else {
			return false;
		}
	}
	return !start;
}

/* Attach a hook to the last --module; which is the option as spelled. */
static bool
parse_hook(struct options *o, int id, const char *which, const char *arg,
	   FILE *err)
{
	const char **slot;
	struct step *s = NULL;
	size_t i;

	for (i = o->nsteps; i > 0; i--)
		if (o->steps[i - 1].kind == STEP_MODULE) {
			s = &o->steps[i - 1];
			break;
		}
	if (s == NULL) {
		fprintf(err,
			"hotload: --%s %s: put it after the --module whose "
			"function it calls\n",
			which, arg);
		return false;
	}
	if (!is_dotted_name(arg)) {
		fprintf(err,
			"hotload: --%s %s: not a function name (give the name "
			"of a function in the module, such as main)\n",
			which, arg);
		return false;
	}
	slot = id == OPT_PRE_HOOK ? &s->pre_hook : &s->post_hook;
	if (*slot != NULL) {
		fprintf(err,
			"hotload: --%s %s: --module %s already has %s hook %s; "
			"give one per module\n",
			which, arg, s->arg, id == OPT_PRE_HOOK ? "a pre" : "a post",
			*slot);
		return false;
	}
	*slot = arg;
	return true;
}

static bool
parse_module(struct options *o, const char *arg, FILE *err)
{
	const char *base = strrchr(arg, '/');
	size_t n = strlen(arg);
	bool ok;

	base = base ? base + 1 : arg;
	if (base != arg || (n > 3 && strcmp(arg + n - 3, ".py") == 0))
		ok = base[0] != '\0' && strcmp(base, ".py") != 0; /* a file */
	else
		ok = is_dotted_name(arg);
	if (!ok) {
		fprintf(err,
			"hotload: --module '%s': not a module name (give a "
			"name such as lib or pkg.mod, or a file such as "
			"pkg/mod.py)\n",
			arg);
		return false;
	}
	add_step(o, STEP_MODULE, arg);
	return true;
}

static bool
parse_ext(struct options *o, const char *arg, FILE *err)
{
	char *ext;

	if (arg[0] == '-') {
		/* -e -r true: the ending was left out, and an option taken
		 * for it. */
		fprintf(err,
			"hotload: --ext '%s': that is an option, not a file "
			"ending; -e needs its ending right after it, as in "
			"-e py\n",
			arg);
		return false;
	}
	if (arg[0] == '\0' || strcmp(arg, ".") == 0 || strchr(arg, '/')) {
		fprintf(err,
			"hotload: --ext '%s': give a file ending such as .py\n",
			arg);
		return false;
	}
	if (arg[0] == '.') {
		ext = xstrdup(arg);
	} else {
		ext = xmalloc(strlen(arg) + 2);
		ext[0] = '.';
		strcpy(ext + 1, arg);
	}
	o->exts = xreallocarray(o->exts, o->nexts + 1, sizeof *o->exts);
	o->exts[o->nexts++] = ext;
	return true;
}

/* --ignore: a line of a .gitignore file, which must be a pattern. */
static bool
parse_ignore(struct options *o, const char *arg, FILE *err)
{
	if (arg[0] == '#' || arg[strspn(arg, "!/ ")] == '\0') {
		fprintf(err,
			"hotload: --ignore '%s': give a pattern such as build/ "
			"or '*.log', as in .gitignore\n",
			arg);
		return false;
	}
	o->ignores = xreallocarray(o->ignores, o->nignores + 1,
				   sizeof *o->ignores);
	o->ignores[o->nignores++] = (char *)arg;
	return true;
}

/* --events FILE: a file, since standard output is the program's. */
static bool
parse_events(struct options *o, const char *arg, FILE *err)
{
	if (arg[0] == '\0' || strcmp(arg, "-") == 0) {
		fprintf(err,
			"hotload: --events '%s': give a file, such as "
			".hotload-events.jsonl (standard output is the "
			"program's)\n",
			arg);
		return false;
	}
	o->events = arg;
	return true;
}

/* --color WHEN: auto, always or never, in enum color's order. */
static bool
parse_color(struct options *o, const char *arg, FILE *err)
{
	static const char *const whens[] = {"auto", "always", "never"};
	size_t i;

	for (i = 0; i < sizeof whens / sizeof whens[0]; i++)
		if (strcmp(arg, whens[i]) == 0) {
			o->color = (enum color)i;
			return true;
		}
	fprintf(err, "hotload: --color '%s': give auto, always or never\n",
		arg);
	return false;
}

/* Read arg as a number above lo (or equal to it, if lo_ok) up to hi. */
static bool
read_number(const char *arg, double lo, bool lo_ok, double hi, double *out)
{
	char *end;
	double x;

	errno = 0;
	x = strtod(arg, &end);
	if (errno != 0 || end == arg || *end != '\0' || !isfinite(x) ||
	    x < lo || (x == lo && !lo_ok) || x > hi)
		return false;
	*out = x;
	return true;
}

static bool
parse_interval(struct options *o, const char *arg, FILE *err)
{
	if (read_number(arg, 0, false, 3600000, &o->interval_ms))
		return true;
	fprintf(err,
		"hotload: --interval '%s': give milliseconds, a number above 0 "
		"such as 10 or 0.5\n",
		arg);
	return false;
}

static const struct {
	const char *name;
	int signo;
} signals[] = {
    {"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT},
    {"KILL", SIGKILL}, {"USR1", SIGUSR1}, {"USR2", SIGUSR2},
    {"TERM", SIGTERM}, {"CONT", SIGCONT}, {"STOP", SIGSTOP},
    {"WINCH", SIGWINCH},
};

/* --signal: a name (TERM, SIGTERM, term) or a number. */
static bool
parse_signal(struct options *o, const char *arg, FILE *err)
{
	const char *name = arg;
	char *end;
	long n;
	size_t i;

	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (i = 0; i < sizeof signals / sizeof signals[0]; i++)
		if (strcasecmp(name, signals[i].name) == 0) {
			o->stop_signal = signals[i].signo;
			return true;
		}
	n = strtol(arg, &end, 10);
	if (end != arg && *end == '\0' && n > 0 && n < 65) {
		o->stop_signal = (int)n;
		return true;
	}
	fprintf(err,
		"hotload: --signal '%s': give a signal name such as TERM, INT "
		"or HUP, or its number\n",
		arg);
	return false;
}

/* --kill-after: seconds, 0 or more. */
static bool
parse_seconds(struct options *o, const char *arg, FILE *err)
{
	if (read_number(arg, 0, true, 86400, &o->kill_after))
		return true;
	fprintf(err,
		"hotload: --kill-after '%s': give seconds, 0 or more, such as 5 "
		"or 0.5\n",
		arg);
	return false;
}

static bool
parse_watcher(struct options *o, const char *arg, FILE *err)
{
	if (strcmp(arg, "auto") != 0 && watch_backend_find(arg) == NULL) {
		fprintf(err, "hotload: --watcher '%s': give %s\n", arg,
			watch_backend_names());
		return false;
	}
	o->watcher = arg;
	return true;
}

static void
reset_getopt(void)
{
#if defined(__GLIBC__)
	optind = 0;
#else
	optind = 1;
#if defined(__APPLE__) || defined(__FreeBSD__) || defined(__OpenBSD__) ||      \
    defined(__NetBSD__)
	optreset = 1;
#endif
#endif
}

/*
 * Name the option that getopt_long rejected, for an error message; what is
 * the argument that held it.
 */
static void
bad_option(const char *what, int c, const struct option *longopts, FILE *err)
{
	int len = (int)strcspn(what, "="), matches = 0, exact = -1;
	size_t i;

	if (strncmp(what, "--", 2) != 0) {
		fprintf(err, "hotload: option -%c %s (see hotload --help)\n",
			optopt, c == ':' ? "needs an argument" : "is not known");
		return;
	}
	for (i = 0; len > 2 && longopts[i].name != NULL; i++)
		if (strncmp(longopts[i].name, what + 2, (size_t)len - 2) == 0) {
			matches++;
			if ((int)strlen(longopts[i].name) == len - 2)
				exact = (int)i;
		}
	if (c == ':')
		fprintf(err, "hotload: option %.*s needs an argument", len, what);
	else if (what[len] == '=' && (exact >= 0 || matches == 1))
		fprintf(err, "hotload: option %.*s takes no argument", len,
			what);
	else if (matches > 1 && exact < 0)
		fprintf(err, "hotload: option %.*s is ambiguous", len, what);
	else
		fprintf(err, "hotload: option %.*s is not known", len, what);
	if (c != ':' && matches > 1 && exact < 0) {
		fputs(": it could be", err);
		for (i = 0, c = 0; longopts[i].name != NULL; i++)
			if (strncmp(longopts[i].name, what + 2,
				    (size_t)len - 2) == 0) {
				fprintf(err, "%s --%s",
					c == 0		       ? ""
					: c == matches - 1 ? " or"
							   : ",",
					longopts[i].name);
				c++;
			}
		fputs("\n", err);
		return;
	}
	fputs(" (see hotload --help)\n", err);
}

/* Set o to the defaults: no steps, no files, every option off. */
void
options_init(struct options *o)
{
	memset(o, 0, sizeof *o);
	o->interval_ms = 1000.0 / 144;
	o->watcher = "auto";
	o->stop_signal = SIGTERM;
	o->kill_after = 5;
}

/*
 * Parse argv into o. Returns PARSE_OK, PARSE_EXIT after --help or --version
 * (printed to stdout), or PARSE_ERROR after a message to err.
 */
enum parse_result
options_parse(struct options *o, int argc, char **argv, FILE *err)
{
	struct option longopts[NOPTDEFS + 1];
	char shortopts[2 * NOPTDEFS + 2];
	size_t i, nl = 0, ns = 0;
	int c, longindex = 0;

	options_init(o);
	shortopts[ns++] = ':';
	for (i = 0; i < NOPTDEFS; i++) {
		const struct optdef *d = &optdefs[i];

		if (d->name == NULL)
			continue;
		longopts[nl].name = d->name;
		longopts[nl].has_arg = d->arg ? required_argument : no_argument;
		longopts[nl].flag = NULL;
		longopts[nl].val = d->id;
		nl++;
		if (d->id < 256) {
			shortopts[ns++] = (char)d->id;
			if (d->arg)
				shortopts[ns++] = ':';
		}
	}
	memset(&longopts[nl], 0, sizeof longopts[nl]);
	shortopts[ns] = '\0';

	reset_getopt();
	opterr = 0;
	for (;;) {
		/* A bad letter inside -abc leaves optind where it was. */
		int before = optind > 0 ? optind : 1;
		bool ok = true;

		c = getopt_long(argc, argv, shortopts, longopts, &longindex);
		if (c == -1)
			break;
		switch (c) {
		case 'm':
			ok = parse_module(o, optarg, err);
			break;
		case 'r':
			add_step(o, STEP_RUN, optarg);
			break;
		case 'R':
			o->recursive = true;
			break;
		case 'a':
			o->auto_files = true;
			break;
		case OPT_NO_PATCH:
			o->no_patch = true;
			break;
		case OPT_PRE_HOOK:
		case OPT_POST_HOOK:
			ok = parse_hook(o, c, longopts[longindex].name, optarg,
					err);
			break;
		case 'c':
			o->clear = true;
			break;
		case OPT_NO_CLEAR:
			o->clear = false;
			break;
		case 'e':
			ok = parse_ext(o, optarg, err);
			break;
		case '0':
			o->null_sep = true;
			break;
		case 'p':
			o->postpone = true;
			break;
		case '1':
			o->once = true;
			break;
		case 'i':
			ok = parse_interval(o, optarg, err);
			break;
		case 'q':
			o->quiet = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_WATCHER:
			ok = parse_watcher(o, optarg, err);
			break;
		case OPT_REPL:
			o->repl = true;
			break;
		case 'n':
			o->non_interactive = true;
			break;
		case OPT_PDB:
			o->pdb = true;
			break;
		case OPT_EVENTS:
			ok = parse_events(o, optarg, err);
			break;
		case OPT_COLOR:
			ok = parse_color(o, optarg, err);
			break;
		case OPT_RESTART:
			o->restart = true;
			break;
		case OPT_SIGNAL:
			ok = parse_signal(o, optarg, err);
			break;
		case OPT_KILL_AFTER:
			ok = parse_seconds(o, optarg, err);
			break;
		case OPT_IGNORE:
			ok = parse_ignore(o, optarg, err);
			break;
		case OPT_NO_IGNORE:
			o->no_ignore = true;
			break;
		case 'h':
			options_usage(stdout);
			return PARSE_EXIT;
		case 'V':
			printf("hotload %s\n", HOTLOAD_VERSION);
			return PARSE_EXIT;
		default:
			bad_option(argv[optind > before ? optind - 1 : before],
				   c, longopts, err);
			return PARSE_ERROR;
		}
		if (!ok)
			return PARSE_ERROR;
	}
	o->paths = argv + optind;
	o->npaths = (size_t)(argc - optind);
	if (o->nsteps == 0) {
		fputs("hotload: nothing to do: give a step such as "
		      "--module lib or --run 'make test' (see hotload --help)\n",
		      err);
		return PARSE_ERROR;
	}
	if (o->auto_files && !options_has_module(o)) {
		fputs("hotload: --auto watches the files of the modules that a "
		      "--module imports: give a --module\n",
		      err);
		return PARSE_ERROR;
	}
	return PARSE_OK;
}

bool
options_has_module(const struct options *o)
{
	size_t i;

	for (i = 0; i < o->nsteps; i++)
		if (o->steps[i].kind == STEP_MODULE)
			return true;
	return false;
}

void
options_free(struct options *o)
{
	size_t i;

	for (i = 0; i < o->nsteps; i++) {
		free(o->steps[i].label);
		free(o->steps[i].module);
		free(o->steps[i].syspath);
	}
	for (i = 0; i < o->nexts; i++)
		free(o->exts[i]);
	free(o->steps);
	free(o->exts);
	free(o->ignores);
	memset(o, 0, sizeof *o);
}
