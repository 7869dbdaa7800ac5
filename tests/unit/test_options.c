/* test_options.c: options_parse, called on many command lines. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

/*
 * An argv that options_parse may permute. It lives until the innermost
 * block ends, and CHECK(...) is a block: use a named array where o.paths,
 * which points into argv, is read after the call.
 */
#define ARGV(...) ((char *[]){"hotload", __VA_ARGS__, NULL})

static char *errtext; /* what the last parse wrote to its error stream */

/* Parse argv (NULL-terminated) into o, keeping its error output. */
static enum parse_result
parse(struct options *o, char **argv)
{
	enum parse_result r;
	size_t len;
	FILE *err;
	int argc = 0;

	while (argv[argc] != NULL)
		argc++;
	free(errtext);
	errtext = NULL;
	err = open_memstream(&errtext, &len);
	if (err == NULL) {
		perror("open_memstream");
		exit(1);
	}
	r = options_parse(o, argc, argv, err);
	fclose(err);
	return r;
}

/* Did the last parse fail with a message containing s? */
static int
error_says(const char *s)
{
	if (errtext != NULL && strstr(errtext, s) != NULL)
		return 1;
	fprintf(stderr, "error message \"%s\" lacks \"%s\"\n",
	        errtext ? errtext : "(null)", s);
	return 0;
}

/* Parse argv, which must fail, and check that the message mentions s. */
static void
check_rejected(char **argv, const char *s, int line)
{
	struct options o;
	enum parse_result r = parse(&o, argv);

	if (r != PARSE_ERROR) {
		fprintf(stderr, "line %d: parse accepted a bad command line\n",
		        line);
		check_failures++;
	} else if (!error_says(s)) {
		fprintf(stderr, "line %d: wrong message\n", line);
		check_failures++;
	}
	if (r == PARSE_ERROR && strncmp(errtext, "hotload: ", 9) != 0) {
		fprintf(stderr, "line %d: message lacks the prefix\n", line);
		check_failures++;
	}
	options_free(&o);
}

#define REJECTED(argv, s) check_rejected((argv), (s), __LINE__)

static void
test_steps_in_order(void)
{
	struct options o;

	CHECK(parse(&o, ARGV("-m", "a", "-r", "x y", "-m", "b")) == PARSE_OK);
	CHECK_STR(errtext, "");
	CHECK(o.nsteps == 3);
	if (o.nsteps == 3) {
		CHECK(o.steps[0].kind == STEP_MODULE);
		CHECK_STR(o.steps[0].arg, "a");
		CHECK(o.steps[1].kind == STEP_RUN);
		CHECK_STR(o.steps[1].arg, "x y");
		CHECK(o.steps[2].kind == STEP_MODULE);
		CHECK_STR(o.steps[2].arg, "b");
		CHECK(o.steps[0].pre_hook == NULL);
		CHECK(o.steps[0].post_hook == NULL);
	}
	CHECK(options_has_module(&o));
	CHECK(o.npaths == 0);
	options_free(&o);
	CHECK(o.nsteps == 0 && o.steps == NULL);

	CHECK(parse(&o, ARGV("--run", "make", "--run=make test")) == PARSE_OK);
	CHECK(o.nsteps == 2);
	if (o.nsteps == 2) {
		CHECK(o.steps[0].kind == STEP_RUN);
		CHECK_STR(o.steps[0].arg, "make");
		CHECK(o.steps[1].kind == STEP_RUN);
		CHECK_STR(o.steps[1].arg, "make test");
	}
	CHECK(!options_has_module(&o));
	options_free(&o);

	CHECK(parse(&o, ARGV("--module=pkg.mod", "-mlib")) == PARSE_OK);
	CHECK(o.nsteps == 2);
	if (o.nsteps == 2) {
		CHECK_STR(o.steps[0].arg, "pkg.mod");
		CHECK_STR(o.steps[1].arg, "lib");
	}
	options_free(&o);
}

static void
test_hooks(void)
{
	struct options o;

	CHECK(parse(&o, ARGV("-m", "a", "--pre-hook", "before", "--post-hook",
	                     "after")) == PARSE_OK);
	CHECK(o.nsteps == 1);
	if (o.nsteps == 1) {
		CHECK_STR(o.steps[0].pre_hook, "before");
		CHECK_STR(o.steps[0].post_hook, "after");
	}
	options_free(&o);

	/* --entrypoint is --post-hook; dotted names are functions too. */
	CHECK(parse(&o, ARGV("-m", "a", "--entrypoint", "App.run")) ==
	      PARSE_OK);
	if (o.nsteps == 1) {
		CHECK(o.steps[0].pre_hook == NULL);
		CHECK_STR(o.steps[0].post_hook, "App.run");
	}
	options_free(&o);

	/* A hook goes to the last --module, even past a --run. */
	CHECK(parse(&o, ARGV("-m", "a", "-m", "b", "-r", "x", "--post-hook",
	                     "main", "--pre-hook=stop")) == PARSE_OK);
	CHECK(o.nsteps == 3);
	if (o.nsteps == 3) {
		CHECK(o.steps[0].pre_hook == NULL);
		CHECK(o.steps[0].post_hook == NULL);
		CHECK_STR(o.steps[1].post_hook, "main");
		CHECK_STR(o.steps[1].pre_hook, "stop");
		CHECK(o.steps[2].pre_hook == NULL);
		CHECK(o.steps[2].post_hook == NULL);
	}
	options_free(&o);

	/* Each module keeps its own hooks, one of each kind. */
	CHECK(parse(&o, ARGV("-m", "a", "--entrypoint", "f", "-m", "b",
	                     "--post-hook", "g", "--pre-hook", "h")) ==
	      PARSE_OK);
	if (o.nsteps == 2) {
		CHECK_STR(o.steps[0].post_hook, "f");
		CHECK(o.steps[0].pre_hook == NULL);
		CHECK_STR(o.steps[1].post_hook, "g");
		CHECK_STR(o.steps[1].pre_hook, "h");
	}
	options_free(&o);
	REJECTED(ARGV("-m", "a", "--post-hook", "g", "--post-hook", "h"),
	         "hotload: --post-hook h: --module a already has a post hook "
	         "g; give one per module");
	REJECTED(ARGV("-m", "a", "--post-hook", "g", "--entrypoint", "h"),
	         "--entrypoint h: --module a already has a post hook g");
	REJECTED(ARGV("-m", "lib.py", "--pre-hook", "f", "--pre-hook", "f"),
	         "--pre-hook f: --module lib.py already has a pre hook f");

	REJECTED(ARGV("--pre-hook", "f", "-m", "a"),
	         "--pre-hook f: put it after the --module");
	REJECTED(ARGV("--post-hook", "f", "-m", "a"),
	         "--post-hook f: put it after the --module");
	REJECTED(ARGV("-r", "x", "--entrypoint", "main"),
	         "--entrypoint main: put it after the --module");
	REJECTED(ARGV("-m", "a", "--entrypoint", "main()"),
	         "--entrypoint main(): not a function name");
	REJECTED(ARGV("-m", "a", "--pre-hook", "1f"),
	         "--pre-hook 1f: not a function name");
	REJECTED(ARGV("-m", "a", "--post-hook", "f()"),
	         "--post-hook f(): not a function name");
	REJECTED(ARGV("-m", "a", "--post-hook", "a b"), "not a function name");
	REJECTED(ARGV("-m", "a", "--post-hook", ""), "not a function name");
	REJECTED(ARGV("-m", "a", "--post-hook", "a..b"), "not a function name");
	REJECTED(ARGV("-m", "a", "--post-hook", "a."), "not a function name");
	REJECTED(ARGV("-m", "a", "--post-hook", ".a"), "not a function name");
	REJECTED(ARGV("-m", "a", "--post-hook", "a-b"), "not a function name");
}

static void
test_module_names(void)
{
	static const char *good[] = {"lib",
	                             "lib.py",
	                             "pkg/mod.py",
	                             "pkg.mod",
	                             "_x",
	                             "a1.b_2",
	                             "Mod",
	                             "./x.py",
	                             "/abs/dir/m.py",
	                             "\xc3\xa9t\xc3\xa9"};
	static const char *bad[] = {"lib..x", "",      "1abc",  ".lib",
	                            "lib.",   "a-b",   "a b",   "pkg.1x",
	                            ".py",    "a.py.", "a..py."};
	struct options o;
	char expect[64];
	size_t i;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		char *argv[] = {"hotload", "-m", (char *)good[i], NULL};

		if (parse(&o, argv) != PARSE_OK) {
			fprintf(stderr, "--module '%s' rejected: %s", good[i],
			        errtext);
			check_failures++;
		} else {
			CHECK(o.nsteps == 1 && o.steps[0].kind == STEP_MODULE);
			CHECK_STR(o.steps[0].arg, good[i]);
			CHECK(o.steps[0].module == NULL);
			CHECK(o.steps[0].syspath == NULL);
		}
		options_free(&o);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *argv[] = {"hotload", "-m", (char *)bad[i], NULL};

		snprintf(expect, sizeof expect, "--module '%s': not a module",
		         bad[i]);
		REJECTED(argv, expect);
	}
}

static void
test_flags(void)
{
	struct options o;

	CHECK(parse(&o, ARGV("-r", "x")) == PARSE_OK);
	CHECK(!o.clear && !o.null_sep && !o.postpone && !o.once && !o.quiet);
	CHECK(!o.verbose);
	CHECK_STR(o.watcher, "auto");
	CHECK(o.nexts == 0 && o.exts == NULL);
	CHECK(o.interval_ms == 1000.0 / 144);
	CHECK(fabs(o.interval_ms - 6.944444) < 1e-5);
	options_free(&o);

	CHECK(parse(&o, ARGV("-r", "x", "-c")) == PARSE_OK);
	CHECK(o.clear);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "-c", "--no-clear")) == PARSE_OK);
	CHECK(!o.clear);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "--no-clear", "--clear-terminal")) ==
	      PARSE_OK);
	CHECK(o.clear);
	options_free(&o);

	CHECK(parse(&o, ARGV("-r", "x", "-0")) == PARSE_OK);
	CHECK(o.null_sep && !o.postpone && !o.once && !o.quiet && !o.clear);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "-p")) == PARSE_OK);
	CHECK(o.postpone && !o.null_sep && !o.once && !o.quiet);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "-1")) == PARSE_OK);
	CHECK(o.once && !o.null_sep && !o.postpone && !o.quiet);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "-q")) == PARSE_OK);
	CHECK(o.quiet && !o.null_sep && !o.postpone && !o.once);
	options_free(&o);

	CHECK(parse(&o, ARGV("-r", "x", "-v")) == PARSE_OK);
	CHECK(o.verbose && !o.quiet && !o.once);
	options_free(&o);

	CHECK(parse(&o, ARGV("-0p1qvc", "-r", "x")) == PARSE_OK);
	CHECK(o.null_sep && o.postpone && o.once && o.quiet && o.clear);
	CHECK(o.verbose);
	options_free(&o);
	CHECK(parse(&o, ARGV("--null", "--postpone", "--once", "--quiet", "-r",
	                     "x", "--verbose")) == PARSE_OK);
	CHECK(o.null_sep && o.postpone && o.once && o.quiet && !o.clear);
	CHECK(o.verbose);
	options_free(&o);
}

static void
test_watcher(void)
{
	struct options o;

	CHECK(parse(&o, ARGV("-r", "x", "--watcher", "poll")) == PARSE_OK);
	CHECK_STR(o.watcher, "poll");
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "--watcher=inotify")) == PARSE_OK);
	CHECK_STR(o.watcher, "inotify");
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "--watcher=poll", "--watcher",
	                     "auto")) == PARSE_OK);
	CHECK_STR(o.watcher, "auto");
	options_free(&o);

	REJECTED(ARGV("-r", "x", "--watcher", "kqueue"),
	         "hotload: --watcher 'kqueue': give auto, inotify or poll");
	REJECTED(ARGV("-r", "x", "--watcher", ""), "--watcher '': give auto");
	REJECTED(ARGV("-r", "x", "--watcher", "Poll"), "--watcher 'Poll'");
	REJECTED(ARGV("-r", "x", "--watcher"),
	         "option --watcher needs an argument");
}

static void
test_ext(void)
{
	struct options o;

	CHECK(parse(&o, ARGV("-r", "x", "-e", "py", "-e", ".py", "--ext=txt",
	                     "-e.pyi", "--ext", "tar.gz")) == PARSE_OK);
	CHECK(o.nexts == 5);
	if (o.nexts == 5) {
		CHECK_STR(o.exts[0], ".py");
		CHECK_STR(o.exts[1], ".py");
		CHECK_STR(o.exts[2], ".txt");
		CHECK_STR(o.exts[3], ".pyi");
		CHECK_STR(o.exts[4], ".tar.gz");
	}
	options_free(&o);
	CHECK(o.nexts == 0 && o.exts == NULL);

	REJECTED(ARGV("-r", "x", "-e", ""), "--ext '': give a file ending");
	REJECTED(ARGV("-r", "x", "--ext", "."), "--ext '.': give a file");
	REJECTED(ARGV("-r", "x", "--ext=a/b"), "--ext 'a/b'");
	/* The ending left out: the next option is taken for it. */
	REJECTED(ARGV("-e", "-r", "true", "lib.py"),
	         "hotload: --ext '-r': that is an option, not a file ending; "
	         "-e needs its ending right after it, as in -e py\n");
	REJECTED(ARGV("-r", "x", "--ext=-v"), "--ext '-v': that is an option");
}

/* --pdb, --events and --color. */
static void
test_debug_events_color(void)
{
	struct options o;

	CHECK(parse(&o, ARGV("-r", "x")) == PARSE_OK);
	CHECK(!o.pdb && o.events == NULL && o.color == COLOR_AUTO);
	options_free(&o);
	CHECK(parse(&o, ARGV("-m", "a", "--pdb", "--events", "ev.jsonl",
	                     "--color=never")) == PARSE_OK);
	CHECK(o.pdb && o.color == COLOR_NEVER);
	CHECK_STR(o.events, "ev.jsonl");
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "--color", "always", "--color=auto",
	                     "--events=a", "--events", "b")) == PARSE_OK);
	CHECK(o.color == COLOR_AUTO);
	CHECK_STR(o.events, "b");
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "--color=always")) == PARSE_OK);
	CHECK(o.color == COLOR_ALWAYS);
	options_free(&o);

	REJECTED(ARGV("-r", "x", "--events", "-"),
	         "hotload: --events '-': give a file, such as "
	         ".hotload-events.jsonl (standard output is the program's)\n");
	REJECTED(ARGV("-r", "x", "--events="), "--events '': give a file");
	REJECTED(ARGV("-r", "x", "--color=yes"),
	         "hotload: --color 'yes': give auto, always or never\n");
	REJECTED(ARGV("-r", "x", "--color", "Always"), "--color 'Always'");
	REJECTED(ARGV("-r", "x", "--events"),
	         "option --events needs an argument");
}

static void
test_interval(void)
{
	struct options o;

	CHECK(parse(&o, ARGV("-r", "x", "-i", "10")) == PARSE_OK);
	CHECK(o.interval_ms == 10.0);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "--interval", "0.5")) == PARSE_OK);
	CHECK(o.interval_ms == 0.5);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "--interval=250", "-i2")) == PARSE_OK);
	CHECK(o.interval_ms == 2.0);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "-i", "1e3")) == PARSE_OK);
	CHECK(o.interval_ms == 1000.0);
	options_free(&o);
	CHECK(parse(&o, ARGV("-r", "x", "-i", "3600000")) == PARSE_OK);
	CHECK(o.interval_ms == 3600000.0);
	options_free(&o);

	REJECTED(ARGV("-r", "x", "-i", "0"), "--interval '0': give millisec");
	REJECTED(ARGV("-r", "x", "-i", "-1"), "--interval '-1'");
	REJECTED(ARGV("-r", "x", "-i", "abc"), "--interval 'abc'");
	REJECTED(ARGV("-r", "x", "-i", "nan"), "--interval 'nan'");
	REJECTED(ARGV("-r", "x", "-i", "inf"), "--interval 'inf'");
	REJECTED(ARGV("-r", "x", "-i", ""), "--interval ''");
	REJECTED(ARGV("-r", "x", "-i", "10ms"), "--interval '10ms'");
	REJECTED(ARGV("-r", "x", "-i", "1e999"), "--interval '1e999'");
	REJECTED(ARGV("-r", "x", "-i", "3600001"), "--interval '3600001'");
}

static void
test_bad_options(void)
{
	REJECTED(ARGV("-r", "x", "--bogus"),
	         "hotload: option --bogus is not known");
	REJECTED(ARGV("-r", "x", "--bogus=3"),
	         "hotload: option --bogus is not known (see hotload --help)");
	REJECTED(ARGV("-r", "x", "-z"), "hotload: option -z is not known");
	REJECTED(ARGV("-z", "-r", "x"), "hotload: option -z is not known");
	REJECTED(ARGV("-qz", "-r", "x"), "hotload: option -z is not known");
	REJECTED(ARGV("-r", "x", "file.py", "-z"), "option -z is not known");
	REJECTED(ARGV("-r"), "hotload: option -r needs an argument");
	REJECTED(ARGV("-r", "x", "-m"), "hotload: option -m needs an argument");
	REJECTED(ARGV("-r", "x", "-qi"), "option -i needs an argument");
	REJECTED(ARGV("--run"), "hotload: option --run needs an argument");
	REJECTED(ARGV("-r", "x", "--module"),
	         "hotload: option --module needs an argument (see hotload "
	         "--help)");
	REJECTED(ARGV("-r", "x", "--interval"),
	         "option --interval needs an argument");
	REJECTED(ARGV("-m", "a", "--pre-hook"),
	         "option --pre-hook needs an argument");

	/* An abbreviation is fine, unless it could be several options. */
	REJECTED(ARGV("-m", "a", "--p"),
	         "hotload: option --p is ambiguous: it could be --pre-hook, "
	         "--post-hook, --postpone or --pdb\n");
	REJECTED(ARGV("-m", "a", "--po=x"),
	         "option --po is ambiguous: it could be --post-hook or "
	         "--postpone\n");
	{
		struct options o;

		CHECK(parse(&o, ARGV("--mod", "a", "--ent", "f", "--qu",
		                     "--int=5")) == PARSE_OK);
		CHECK(o.nsteps == 1 && o.quiet && o.interval_ms == 5.0);
		CHECK(o.nsteps == 1 && o.steps[0].post_hook != NULL &&
		      strcmp(o.steps[0].post_hook, "f") == 0);
		options_free(&o);
	}

	/* Nothing to do. */
	REJECTED(ARGV("a.py"), "hotload: nothing to do");
	REJECTED(ARGV("-q", "-c", "--", "-r"), "nothing to do");
}

static void
test_paths(void)
{
	/* o.paths points into argv: the arrays must outlive the checks. */
	char *many[] = {"hotload", "a.py", "-m", "lib",   "b.py", "-q",
	                "dir",     "--",   "-x", "--run", "-",    NULL};
	char *one[] = {"hotload", "-r", "x", "only", NULL};
	char *none[] = {"hotload", "-r", "x", "--", NULL};
	struct options o;

	CHECK(parse(&o, many) == PARSE_OK);
	CHECK(o.nsteps == 1);
	CHECK(o.quiet);
	CHECK(o.npaths == 6);
	if (o.npaths == 6) {
		CHECK_STR(o.paths[0], "a.py");
		CHECK_STR(o.paths[1], "b.py");
		CHECK_STR(o.paths[2], "dir");
		CHECK_STR(o.paths[3], "-x");
		CHECK_STR(o.paths[4], "--run");
		CHECK_STR(o.paths[5], "-");
	}
	options_free(&o);

	CHECK(parse(&o, one) == PARSE_OK);
	CHECK(o.npaths == 1);
	if (o.npaths == 1)
		CHECK_STR(o.paths[0], "only");
	options_free(&o);

	CHECK(parse(&o, none) == PARSE_OK);
	CHECK(o.npaths == 0);
	options_free(&o);
}

/* Run options_parse with stdout sent to a file; return what it printed. */
static char *
parse_stdout(char **argv, enum parse_result *r)
{
	struct options o;
	FILE *tmp = tmpfile();
	char *text;
	long len;
	int saved;

	if (tmp == NULL) {
		perror("tmpfile");
		exit(1);
	}
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fileno(tmp), STDOUT_FILENO);
	*r = parse(&o, argv);
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	options_free(&o);

	fseek(tmp, 0, SEEK_END);
	len = ftell(tmp);
	rewind(tmp);
	text = xcalloc(1, (size_t)len + 1);
	if (fread(text, 1, (size_t)len, tmp) != (size_t)len)
		text[0] = '\0';
	fclose(tmp);
	return text;
}

static void
test_help_version(void)
{
	enum parse_result r;
	char *out;

	out = parse_stdout(ARGV("--help"), &r);
	CHECK(r == PARSE_EXIT);
	CHECK_STR(errtext, "");
	CHECK(strncmp(out, "usage: hotload [options]", 24) == 0);
	CHECK(strstr(out, "  -m, --module NAME") != NULL);
	CHECK(strstr(out, "      --pre-hook FUNC") != NULL);
	CHECK(strstr(out, "      --entrypoint FUNC") != NULL);
	CHECK(strstr(out, "  -i, --interval MS") != NULL);
	CHECK(strstr(out, "  -V, --version") != NULL);
	CHECK(strstr(out, "      --watcher KIND") != NULL);
	free(out);

	out = parse_stdout(ARGV("-r", "x", "-h", "--bogus"), &r);
	CHECK(r == PARSE_EXIT);
	CHECK(strstr(out, "usage: hotload") != NULL);
	free(out);

	out = parse_stdout(ARGV("--version"), &r);
	CHECK(r == PARSE_EXIT);
	CHECK_STR(out, "hotload " HOTLOAD_VERSION "\n");
	free(out);

	out = parse_stdout(ARGV("-V"), &r);
	CHECK(r == PARSE_EXIT);
	CHECK_STR(out, "hotload " HOTLOAD_VERSION "\n");
	free(out);
}

/* An unknown letter inside a bundle is named, not the argument before. */
static void
test_bundles_and_equals(void)
{
	REJECTED(ARGV("--quiet", "-zq", "-r", "x"), "option -z is not known");
	REJECTED(ARGV("--run=x", "-zq"), "option -z is not known");
	REJECTED(ARGV("-r", "x", "--quiet=1"), "option --quiet takes no argument");
	REJECTED(ARGV("-r", "x", "--qu=1"), "option --qu takes no argument");
	REJECTED(ARGV("-r", "x", "--=x"), "option -- is not known");
	REJECTED(ARGV("-m", "a/"), "--module 'a/': not a module name");
	REJECTED(ARGV("-m", "/"), "--module '/': not a module name");
	REJECTED(ARGV("-m", "pkg/.py"), "--module 'pkg/.py': not a module name");
}

int
main(void)
{
	unsetenv("POSIXLY_CORRECT");
	test_steps_in_order();
	test_hooks();
	test_module_names();
	test_flags();
	test_watcher();
	test_ext();
	test_debug_events_color();
	test_interval();
	test_bad_options();
	test_paths();
	test_help_version();
	test_bundles_and_equals();
	free(errtext);
	return CHECK_DONE();
}
