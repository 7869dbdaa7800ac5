/* test_ignore.c: the ignore rules: git's patterns, their precedence, walks. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

static char top[1024]; /* the scratch directory, as getcwd names it */

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

/* Make the file path (below the scratch directory) and its directories. */
static void
make_file(const char *path, const char *text)
{
	char buf[4096], *slash;
	FILE *fp;

	snprintf(buf, sizeof buf, "%s", path);
	for (slash = strchr(buf, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			die(buf);
		*slash = '/';
	}
	if ((fp = fopen(path, "w")) == NULL)
		die(path);
	fputs(text, fp);
	if (fclose(fp) != 0)
		die(path);
}

static void
make_dir(const char *path)
{
	char buf[4096];

	snprintf(buf, sizeof buf, "%s/x", path);
	make_file(buf, "");
	if (unlink(buf) != 0)
		die(buf);
}

/* The absolute path of name below the scratch directory, in a static. */
static const char *
at(const char *name)
{
	static char buf[4][4096];
	static int next;
	char *out = buf[next++ % 4];

	snprintf(out, sizeof buf[0], "%s/%s", top, name);
	return out;
}

/* Is name (a file, or a directory if it ends in '/') left out? */
static int
left_out(struct ignore *ig, const char *name)
{
	char path[4096], dir[4096], *slash;
	size_t len;
	bool is_dir;

	snprintf(path, sizeof path, "%s", at(name));
	len = strlen(path);
	is_dir = path[len - 1] == '/';
	if (is_dir)
		path[len - 1] = '\0';
	snprintf(dir, sizeof dir, "%s", path);
	slash = strrchr(dir, '/');
	*slash = '\0';
	return ignore_test(ig, ignore_at(ig, dir), path, is_dir);
}

/* Each pattern against each text, as git's wildmatch with WM_PATHNAME. */
static void
test_glob(void)
{
	static const struct {
		const char *pattern, *text;
		bool match;
	} cases[] = {
	    {"foo", "foo", true},
	    {"foo", "fo", false},
	    {"foo", "fooo", false},
	    {"*", "foo", true},
	    {"*", "", true},
	    {"*", "a/b", false},
	    {"*.py", "lib.py", true},
	    {"*.py", "pkg/lib.py", false},
	    {"a*", "a", true},
	    {"a*c", "abbbc", true},
	    {"a*c", "ab/c", false},
	    {"?", "a", true},
	    {"?", "", false},
	    {"?", "/", false},
	    {"a?c", "abc", true},
	    {"a?c", "ac", false},
	    /* "**" that fills a component spans directories. */
	    {"**", "a/b/c", true},
	    {"**/b", "b", true},
	    {"**/b", "x/y/b", true},
	    {"**/b", "xb", false},
	    {"**/b", "x/yb", false},
	    {"a/**", "a/b", true},
	    {"a/**", "a/b/c", true},
	    {"a/**", "a", false},
	    {"a/**", "ab/c", false},
	    {"a/**/b", "a/b", true},
	    {"a/**/b", "a/x/b", true},
	    {"a/**/b", "a/x/y/b", true},
	    {"a/**/b", "ab", false},
	    {"a/**/b", "a/xb", false},
	    {"a/**/*.c", "a/x/y/z.c", true},
	    {"**/*.c", "z.c", true},
	    /* Elsewhere it is a plain '*'. */
	    {"a**b", "axyb", true},
	    {"a**b", "a/b", false},
	    {"**b", "x/b", false},
	    {"a/**b", "a/x/b", false},
	    {"a/***/b", "a/x/y/b", true},
	    /* Classes. */
	    {"[abc]", "b", true},
	    {"[abc]", "d", false},
	    {"[!abc]", "d", true},
	    {"[!abc]", "a", false},
	    {"[^abc]", "d", true},
	    {"[a-c]x", "bx", true},
	    {"[a-c]x", "dx", false},
	    {"[]]", "]", true},
	    {"[]a]", "a", true},
	    {"[!]]", "a", true},
	    {"[!]]", "]", false},
	    {"[a-]", "-", true},
	    {"[-a]", "-", true},
	    {"[\\]]", "]", true},
	    {"[a\\-z]", "-", true},
	    {"[a\\-z]", "b", false},
	    {"[[:digit:]]", "7", true},
	    {"[[:digit:]]", "x", false},
	    {"[[:alpha:][:digit:]_]", "_", true},
	    {"[[:upper:]]", "a", false},
	    {"[[:space:]]", " ", true},
	    {"[[:xdigit:]]", "F", true},
	    {"[[:punct:]]", "!", true},
	    {"[[:bogus:]]", "b", false},
	    {"[[:]x]", "x", false}, /* "[[:]" is a set, then "x]" must follow */
	    {"[[:]x]", ":x]", true},
	    {"[abc", "a", false},
	    {"[/]", "/", false},
	    {"a[/]b", "a/b", false},
	    {"[!a]", "/", false},
	    /* Escapes. */
	    {"\\*", "*", true},
	    {"\\*", "x", false},
	    {"\\#x", "#x", true},
	    {"\\!x", "!x", true},
	    {"a\\ ", "a ", true},
	    {"a\\", "a", false},
	    {"a\\", "a\\", false},
	    {"\\\\", "\\", true},
	    /* Bytes past ASCII are plain characters. */
	    {"caf\xc3\xa9*", "caf\xc3\xa9.py", true},
	    {"[\xc3]?", "\xc3\xa9", true},
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (ignore_glob(cases[i].pattern, cases[i].text) !=
		    cases[i].match) {
			fprintf(stderr, "pattern \"%s\", text \"%s\": %s\n",
			        cases[i].pattern, cases[i].text,
			        cases[i].match ? "no match" : "matched");
			check_failures++;
		}
}

/* Backtracking is bounded: this fails at once, not after 2^n tries. */
static void
test_glob_is_fast(void)
{
	char text[200];

	memset(text, 'a', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	CHECK(!ignore_glob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
	CHECK(!ignore_glob("**/*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", text));
	CHECK(ignore_glob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a", text));
}

/*
 * A work tree with rules at every place git reads them:
 *   .git/info/exclude, .gitignore, sub/.gitignore, sub/.ignore,
 *   ~/.gitconfig naming ~/global-ignore
 */
static void
make_tree(void)
{
	char tmpl[] = "/tmp/hotload-unit-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	if (chdir(tmpl) != 0 || getcwd(top, sizeof top) == NULL)
		die(tmpl);
	make_file("home/.gitconfig",
	          "[user]\n\tname = x\n"
	          "[core \"other\"]\n\texcludesFile = no\n"
	          "[Core]\n\texcludesfile = \"~/global-ignore\""
	          " # a comment\n");
	make_file("home/global-ignore", "*.glob\n");
	setenv("HOME", at("home"), 1);
	unsetenv("XDG_CONFIG_HOME");

	make_file("repo/.git/info/exclude", "*.ex\n");
	make_file("repo/.gitignore", "# a comment\n"
	                             "\n"
	                             "*.log\n"
	                             "!keep.log\n"
	                             "build/\n"
	                             "/top.txt\n"
	                             "doc/*.md\n"
	                             "gen/**\n"
	                             "!gen/keep.py\n"
	                             "out/\n"
	                             "!out/x.py\n"
	                             "**/cache/*.db\n"
	                             "a/**/z.py\n"
	                             "trail.txt   \n"
	                             "space\\ \n"
	                             "\\#hash.py\n"
	                             "\\!bang.py\n"
	                             "[0-9][[:digit:]].py\n"
	                             "?.tmp\n"
	                             "*.cr\r\n"
	                             "!*.glob\n"
	                             "!*.pyc\n");
	make_file("repo/sub/.gitignore", "!important.log\n"
	                                 "/local.txt\n"
	                                 "*.tmp\n"
	                                 "top.txt\n");
	make_file("repo/sub/.ignore", "!x.tmp\n");
	make_file("repo/sub/deep/.gitignore", "*.txt\n!top.txt\n");
}

static void
remove_tree(void)
{
	char cmd[8192];

	if (chdir("/") != 0)
		die("/");
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", top);
}

static void
test_gitignore(void)
{
	struct ignore *ig = ignore_new(top);

	/* A later line wins, and a deeper file wins. */
	CHECK(left_out(ig, "repo/a.log"));
	CHECK(!left_out(ig, "repo/keep.log"));
	CHECK(left_out(ig, "repo/sub/other.log"));
	CHECK(!left_out(ig, "repo/sub/important.log"));
	CHECK(!left_out(ig, "repo/sub/deep/important.log"));
	/* Directory-only patterns. */
	CHECK(left_out(ig, "repo/build/"));
	CHECK(left_out(ig, "repo/sub/build/"));
	CHECK(!left_out(ig, "repo/build"));
	/* Anchored ones, from the file's own directory. */
	CHECK(left_out(ig, "repo/top.txt"));
	CHECK(left_out(ig, "repo/sub/top.txt"));
	CHECK(!left_out(ig, "repo/sub/deep/top.txt"));
	CHECK(left_out(ig, "repo/sub/local.txt"));
	CHECK(!left_out(ig, "repo/local.txt"));
	CHECK(!left_out(ig, "repo/sub/x/local.txt"));
	CHECK(left_out(ig, "repo/sub/deep/other.txt"));
	CHECK(left_out(ig, "repo/doc/a.md"));
	CHECK(!left_out(ig, "repo/doc/x/a.md"));
	CHECK(!left_out(ig, "repo/sub/doc/a.md"));
	/* "**" leading, middle and trailing. */
	CHECK(left_out(ig, "repo/gen/a.py"));
	CHECK(!left_out(ig, "repo/gen/keep.py"));
	CHECK(left_out(ig, "repo/gen/x/"));
	CHECK(left_out(ig, "repo/cache/a.db"));
	CHECK(left_out(ig, "repo/sub/deep/cache/a.db"));
	CHECK(!left_out(ig, "repo/cache/x/a.db"));
	CHECK(left_out(ig, "repo/a/z.py"));
	CHECK(left_out(ig, "repo/a/b/c/z.py"));
	CHECK(!left_out(ig, "repo/b/a/z.py"));
	/* Spaces, escapes and classes. */
	CHECK(left_out(ig, "repo/trail.txt"));
	CHECK(left_out(ig, "repo/space "));
	CHECK(!left_out(ig, "repo/space"));
	CHECK(left_out(ig, "repo/#hash.py"));
	CHECK(left_out(ig, "repo/!bang.py"));
	CHECK(left_out(ig, "repo/42.py"));
	CHECK(!left_out(ig, "repo/4x.py"));
	CHECK(left_out(ig, "repo/a.tmp"));
	CHECK(!left_out(ig, "repo/ab.tmp"));
	/* In one directory, .ignore comes after .gitignore. */
	CHECK(left_out(ig, "repo/sub/y.tmp"));
	CHECK(!left_out(ig, "repo/sub/x.tmp"));
	CHECK(left_out(ig, "repo/a.cr")); /* a line ending in CR LF */
	/* info/exclude and the global file come below every .gitignore. */
	CHECK(left_out(ig, "repo/sub/a.ex"));
	CHECK(!left_out(ig, "repo/a.glob"));
	CHECK(left_out(ig, "a.glob") == false); /* outside the work tree */
	/* A directory's files are checked against its own rules too. */
	CHECK(left_out(ig, "repo/out/"));
	ignore_free(ig);
}

static void
test_global_file(void)
{
	struct ignore *ig;

	make_file("repo2/.git/HEAD", "");
	ig = ignore_new(top);
	CHECK(left_out(ig, "repo2/x.glob"));
	CHECK(left_out(ig, "repo2/sub/x.glob"));
	CHECK(!left_out(ig, "repo2/x.ex"));
	ignore_free(ig);

	/* Without core.excludesFile: $XDG_CONFIG_HOME/git/ignore. */
	make_file("home/.gitconfig", "[core]\n\tautocrlf = false\n");
	make_file("xdg/git/ignore", "*.xdg\n");
	setenv("XDG_CONFIG_HOME", at("xdg"), 1);
	ig = ignore_new(top);
	CHECK(left_out(ig, "repo2/x.xdg"));
	CHECK(!left_out(ig, "repo2/x.glob"));
	ignore_free(ig);

	/* Set in $XDG_CONFIG_HOME/git/config, with ~ for the home. */
	make_file("xdg/git/config", "[core]\n  excludesFile=~/global-ignore\n");
	ig = ignore_new(top);
	CHECK(left_out(ig, "repo2/x.glob"));
	CHECK(!left_out(ig, "repo2/x.xdg"));
	ignore_free(ig);
	unsetenv("XDG_CONFIG_HOME");
	make_file("home/.gitconfig",
	          "[core]\n\texcludesFile = ~/global-ignore\n");
}

static void
test_outside_git(void)
{
	struct ignore *ig = ignore_new(top);

	make_file("plain/.gitignore", "*.log\n");
	make_file("plain/.ignore", "*.out\n");
	make_file("plain/sub/.ignore", "!keep.out\n/only-here\n");
	/* .gitignore needs a work tree; .ignore does not. */
	CHECK(!left_out(ig, "plain/a.log"));
	CHECK(left_out(ig, "plain/a.out"));
	CHECK(left_out(ig, "plain/sub/a.out"));
	CHECK(!left_out(ig, "plain/sub/keep.out"));
	CHECK(left_out(ig, "plain/sub/only-here"));
	CHECK(!left_out(ig, "plain/only-here"));
	ignore_free(ig);
}

/* A linked worktree: .git is a file, info/exclude is the main one's. */
static void
test_worktree(void)
{
	struct ignore *ig;
	char text[4200];

	make_file("main/.git/info/exclude", "*.wt\n");
	make_file("main/.git/worktrees/wt/commondir", "../..\n");
	make_file("main/.git/worktrees/wt/HEAD", "");
	snprintf(text, sizeof text, "gitdir: %s\n",
	         at("main/.git/worktrees/wt"));
	make_file("wt/.git", text);
	make_file("wt/.gitignore", "*.log\n");
	make_file("sm/.git", "gitdir: ../main/.git/modules/sm\n");
	make_file("main/.git/modules/sm/info/exclude", "*.sm\n");
	make_file("sm/.gitignore", "*.log\n");
	ig = ignore_new(top);
	CHECK(left_out(ig, "wt/a.log"));
	CHECK(left_out(ig, "wt/sub/a.wt"));
	CHECK(!left_out(ig, "wt/a.sm"));
	CHECK(left_out(ig, "sm/a.log"));
	CHECK(left_out(ig, "sm/a.sm"));
	CHECK(!left_out(ig, "sm/a.wt"));
	ignore_free(ig);
}

/* A repository inside another: the outer .gitignore stops at its top. */
static void
test_nested_repository(void)
{
	struct ignore *ig = ignore_new(top);

	make_file("repo/inner/.git/HEAD", "");
	CHECK(left_out(ig, "repo/inner/a.ex") == false);
	CHECK(!left_out(ig, "repo/inner/a.log"));
	CHECK(left_out(ig, "repo/inner/a.glob"));
	ignore_free(ig);
}

static void
test_builtin(void)
{
	struct ignore *ig = ignore_new(top);

	make_file("plain/venv/pyvenv.cfg", "home = /usr/bin\n");
	make_dir("plain/node_modules");
	make_dir("plain/env2");
	CHECK(left_out(ig, "plain/.hidden"));
	CHECK(left_out(ig, "plain/.hdir/"));
	CHECK(left_out(ig, "plain/__pycache__/"));
	CHECK(left_out(ig, "plain/x.pyc"));
	CHECK(left_out(ig, "plain/x.py.swp"));
	CHECK(left_out(ig, "plain/x.swo"));
	CHECK(left_out(ig, "plain/x.py~"));
	CHECK(left_out(ig, "plain/#x.py#"));
	CHECK(!left_out(ig, "plain/#"));
	CHECK(!left_out(ig, "plain/x.py"));
	CHECK(left_out(ig, "plain/node_modules/"));
	CHECK(!left_out(ig, "plain/node_modules"));
	CHECK(left_out(ig, "plain/venv/"));
	CHECK(!left_out(ig, "plain/env2/"));
	/* A pattern of the user's comes first: "!*.pyc" keeps them. */
	CHECK(!left_out(ig, "repo/x.pyc"));
	ignore_free(ig);
}

static void
test_command_line(void)
{
	char *globs[] = {"*.md", "!repo/a.log", "/plain/x.*", "sub/", "zz**//"};
	struct ignore *ig = ignore_new(top);

	ignore_configure(ig, globs, 5, false);
	CHECK(left_out(ig, "x.md"));
	CHECK(left_out(ig, "repo/sub/deep/x.md"));
	CHECK(!left_out(ig, "repo/a.log"));
	CHECK(left_out(ig, "repo/b.log"));
	CHECK(left_out(ig, "plain/x.py"));
	CHECK(!left_out(ig, "plain/y/x.py"));
	CHECK(left_out(ig, "plain/sub/"));
	/* "zz" then a double star and a slash: the star matches nothing. */
	CHECK(left_out(ig, "zz/"));
	CHECK(!left_out(ig, "zzz/"));
	CHECK(!left_out(ig, "zz"));
	ignore_free(ig);

	/* Outside the current directory only the unanchored ones apply. */
	ig = ignore_new(at("repo"));
	ignore_configure(ig, globs, 5, false);
	CHECK(left_out(ig, "plain/x.md"));
	CHECK(!left_out(ig, "plain/x.py"));
	ignore_free(ig);
}

static void
test_no_ignore(void)
{
	char *globs[] = {"*.md"};
	struct ignore *ig = ignore_new(top);

	ignore_configure(ig, globs, 1, true);
	CHECK(ignore_at(ig, at("repo")) == NULL);
	CHECK(!left_out(ig, "repo/a.log"));
	CHECK(!left_out(ig, "repo/build/"));
	CHECK(!left_out(ig, "plain/node_modules/"));
	CHECK(!left_out(ig, "plain/venv/"));
	CHECK(!left_out(ig, "plain/x.pyc"));
	CHECK(!left_out(ig, "plain/x~"));
	CHECK(left_out(ig, "plain/.hidden"));
	CHECK(left_out(ig, "plain/__pycache__/"));
	CHECK(left_out(ig, "repo/x.md"));
	ignore_free(ig);
}

/* What each file of rules left out is counted, for -v. */
static void
test_tally(void)
{
	struct ignore *ig = ignore_new(top);
	const char *source;
	size_t i, files, dirs, gitignore = 0, builtin = 0;

	CHECK(left_out(ig, "repo/a.log"));
	CHECK(left_out(ig, "repo/b.log"));
	CHECK(left_out(ig, "repo/build/"));
	CHECK(!left_out(ig, "repo/keep.log"));
	CHECK(left_out(ig, "plain/x.pyc"));
	CHECK(left_out(ig, "plain/.hidden")); /* not counted */
	for (i = 0; ignore_tally(ig, i, &source, &files, &dirs); i++) {
		if (strcmp(source, at("repo/.gitignore")) == 0) {
			CHECK(files == 2 && dirs == 1);
			gitignore++;
		} else if (strcmp(source, "built-in rules") == 0) {
			CHECK(files == 1 && dirs == 0);
			builtin++;
		} else {
			CHECK(files == 0 && dirs == 0);
		}
	}
	CHECK(gitignore == 1 && builtin == 1);
	ignore_tally_clear(ig);
	for (i = 0; ignore_tally(ig, i, &source, &files, &dirs); i++)
		CHECK(files == 0 && dirs == 0);
	ignore_free(ig);
}

/* Is the directory name (below the scratch one) in the list's table? */
static bool
has_dir(const struct filelist *fl, const char *name)
{
	return strmap_get(&fl->dirindex, at(name)) != STRMAP_NONE;
}

static bool
has_file(struct filelist *fl, const char *name)
{
	return filelist_has(fl, at(name));
}

/* Walking a directory: what is left out is not listed, nor its dirs. */
static void
test_walk(void)
{
	struct filelist fl;
	struct options o;

	make_file("w/.git/HEAD", "");
	make_file("w/.gitignore", "build/\n*.log\n");
	make_file("w/a.py", "");
	make_file("w/a.log", "");
	make_file("w/build/b.py", "");
	make_file("w/build/deep/c.py", "");
	make_file("w/src/d.py", "");
	make_file("w/node_modules/m/e.py", "");
	make_file("w/venv/pyvenv.cfg", "");
	make_file("w/venv/lib/f.py", "");
	CHECK(filelist_init(&fl, NULL, 0) == 0);
	CHECK(filelist_add(&fl, "w/build/b.py", true) == 0);
	CHECK(filelist_add(&fl, "w", true) == 0);
	CHECK(has_file(&fl, "w/a.py"));
	CHECK(has_file(&fl, "w/src/d.py"));
	CHECK(!has_file(&fl, "w/a.log"));
	CHECK(!has_file(&fl, "w/build/deep/c.py"));
	CHECK(!has_file(&fl, "w/node_modules/m/e.py"));
	CHECK(!has_file(&fl, "w/venv/lib/f.py"));
	/* Named, it is watched, and so is its directory (not walked). */
	CHECK(has_file(&fl, "w/build/b.py"));
	CHECK(has_dir(&fl, "w/build"));
	CHECK(!fl.dirs[strmap_get(&fl.dirindex, at("w/build"))].root);
	CHECK(!has_dir(&fl, "w/build/deep"));
	CHECK(!has_dir(&fl, "w/node_modules"));
	CHECK(!has_dir(&fl, "w/node_modules/m"));
	CHECK(!has_dir(&fl, "w/venv"));
	CHECK(!has_dir(&fl, "w/venv/lib"));
	CHECK(has_dir(&fl, "w/src"));
	/* A new file follows the same rules. */
	make_file("w/src/new.log", "");
	make_file("w/src/new.py", "");
	filelist_discover(&fl, strmap_get(&fl.dirindex, at("w/src")),
	                  "new.log");
	filelist_discover(&fl, strmap_get(&fl.dirindex, at("w/src")), "new.py");
	CHECK(!has_file(&fl, "w/src/new.log"));
	CHECK(has_file(&fl, "w/src/new.py"));
	filelist_free(&fl);

	/* --no-ignore: all of it but the hidden names. */
	options_init(&o);
	o.no_ignore = true;
	CHECK(filelist_init(&fl, NULL, 0) == 0);
	filelist_ignore(&fl, &o);
	CHECK(filelist_add(&fl, "w", true) == 0);
	CHECK(has_file(&fl, "w/a.log"));
	CHECK(has_file(&fl, "w/build/deep/c.py"));
	CHECK(has_file(&fl, "w/venv/lib/f.py"));
	CHECK(has_file(&fl, "w/node_modules/m/e.py"));
	CHECK(!has_file(&fl, "w/.gitignore"));
	CHECK(!has_dir(&fl, "w/.git"));
	filelist_free(&fl);
}

/* A virtual environment made inside a walked directory stops growing. */
static void
test_venv_made_later(void)
{
	struct filelist fl;
	size_t venv;

	make_file("v/a.py", "");
	CHECK(filelist_init(&fl, NULL, 0) == 0);
	CHECK(filelist_add(&fl, "v", true) == 0);
	make_file("v/env/lib/x.py", "");
	filelist_discover(&fl, strmap_get(&fl.dirindex, at("v")), "env");
	CHECK(has_file(&fl, "v/env/lib/x.py"));
	make_file("v/env/pyvenv.cfg", "");
	venv = strmap_get(&fl.dirindex, at("v/env"));
	filelist_discover(&fl, venv, "pyvenv.cfg");
	make_file("v/env/lib/y.py", "");
	filelist_discover(&fl, strmap_get(&fl.dirindex, at("v/env/lib")),
	                  "y.py");
	CHECK(!has_file(&fl, "v/env/lib/y.py"));
	CHECK(!fl.dirs[venv].root);
	CHECK(fl.dirs[strmap_get(&fl.dirindex, at("v"))].root);
	filelist_free(&fl);
}

/* A removed current directory is an error for the caller, not an exit. */
static void
test_removed_current_directory(void)
{
	struct filelist fl;

	make_dir("gone");
	if (chdir(at("gone")) != 0 || rmdir(at("gone")) != 0)
		die("gone");
	errno = 0;
	CHECK(filelist_init(&fl, NULL, 0) == -1);
	CHECK(errno == ENOENT);
	filelist_free(&fl);
	if (chdir(top) != 0)
		die(top);
}

int
main(void)
{
	test_glob();
	test_glob_is_fast();
	make_tree();
	test_gitignore();
	test_global_file();
	test_outside_git();
	test_worktree();
	test_nested_repository();
	test_builtin();
	test_command_line();
	test_no_ignore();
	test_tally();
	test_walk();
	test_venv_made_later();
	test_removed_current_directory();
	remove_tree();
	return CHECK_DONE();
}
