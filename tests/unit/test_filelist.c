/* test_filelist.c: building the list of watched files in a scratch tree. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

static char cwd[1024];   /* the scratch directory, as getcwd names it */
static char other[1040]; /* a directory outside it */

static void
die(const char *what)
{
	perror(what);
	exit(1);
}

static void
make_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		die(path);
	fputs(text, fp);
	if (fclose(fp) != 0)
		die(path);
}

static void
make_dir(const char *path)
{
	if (mkdir(path, 0755) != 0)
		die(path);
}

static void
make_link(const char *target, const char *path)
{
	if (symlink(target, path) != 0)
		die(path);
}

/*
 * The scratch tree:
 *   a.py b.txt "we ird\nname.py" " space.py"
 *   sub/c.py sub/d.txt sub/deep/e.py sub/.hidden.py sub/.hdir/f.py
 *   sub/__pycache__/g.py sub/linkdir -> ../lib sub/linkfile.py -> ../a.py
 *   sub/dangling.py -> nowhere.py
 *   lib/h.py
 */
static void
make_tree(void)
{
	char tmpl[] = "/tmp/hotload-unit-XXXXXX";

	if (mkdtemp(tmpl) == NULL)
		die("mkdtemp");
	if (chdir(tmpl) != 0 || getcwd(cwd, sizeof cwd) == NULL)
		die(tmpl);
	make_file("a.py", "a\n");
	make_file("b.txt", "b\n");
	make_file("we ird\nname.py", "w\n");
	make_file(" space.py", "s\n");
	make_dir("sub");
	make_file("sub/c.py", "c\n");
	make_file("sub/d.txt", "d\n");
	make_dir("sub/deep");
	make_file("sub/deep/e.py", "e\n");
	make_file("sub/.hidden.py", "h\n");
	make_dir("sub/.hdir");
	make_file("sub/.hdir/f.py", "f\n");
	make_dir("sub/__pycache__");
	make_file("sub/__pycache__/g.py", "g\n");
	make_dir("lib");
	make_file("lib/h.py", "h\n");
	make_link("../lib", "sub/linkdir");
	make_link("../a.py", "sub/linkfile.py");
	make_link("nowhere.py", "sub/dangling.py");

	/* A sibling whose name starts with the scratch directory's. */
	snprintf(other, sizeof other, "%sx", cwd);
	make_dir(other);
}

static void
remove_tree(void)
{
	char cmd[8192];

	if (chdir("/") != 0)
		die("/");
	snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", cwd, other);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", cwd);
}

/* Return the entry shown as name, or NULL. */
static const struct entry *
find(const struct filelist *fl, const char *name)
{
	size_t i;

	for (i = 0; i < fl->n; i++)
		if (strcmp(fl->v[i].name, name) == 0)
			return &fl->v[i];
	return NULL;
}

/* Is name in the list, under cwd/name, once, and found through the index? */
static int
listed(const struct filelist *fl, const char *name)
{
	const struct entry *e = find(fl, name);
	char path[4096];

	if (e == NULL) {
		fprintf(stderr, "\"%s\" is not in the list\n", name);
		return 0;
	}
	snprintf(path, sizeof path, "%s/%s", cwd, name);
	if (strcmp(e->path, path) != 0) {
		fprintf(stderr, "\"%s\" has path \"%s\"\n", name, e->path);
		return 0;
	}
	if (strmap_get(&fl->index, e->path) != (size_t)(e - fl->v)) {
		fprintf(stderr, "\"%s\" is not indexed\n", name);
		return 0;
	}
	return 1;
}

static void
test_explicit_files(void)
{
	struct filelist fl;
	char abs[4096];

	filelist_init(&fl, NULL, 0);
	CHECK_STR(fl.cwd, cwd);
	CHECK(fl.cwdlen == strlen(cwd));
	CHECK(fl.n == 0);

	CHECK(filelist_add(&fl, "a.py", true) == 0);
	CHECK(fl.n == 1);
	CHECK(listed(&fl, "a.py"));
	CHECK(fl.n >= 1 && fl.v[0].name == fl.v[0].path + strlen(cwd) + 1);

	/* The same file under other names is kept once. */
	snprintf(abs, sizeof abs, "%s/a.py", cwd);
	CHECK(filelist_add(&fl, "./a.py", true) == 0);
	CHECK(filelist_add(&fl, "a.py", true) == 0);
	CHECK(filelist_add(&fl, abs, true) == 0);
	CHECK(filelist_add(&fl, ".//a.py/", true) == 0);
	CHECK(fl.n == 1);

	CHECK(filelist_add(&fl, "b.txt", true) == 0);
	CHECK(filelist_add(&fl, "sub/deep/e.py", true) == 0);
	CHECK(fl.n == 3);
	CHECK(listed(&fl, "b.txt"));
	CHECK(listed(&fl, "sub/deep/e.py"));
	/* Hidden and __pycache__ files are kept when named. */
	CHECK(filelist_add(&fl, "sub/.hidden.py", true) == 0);
	CHECK(filelist_add(&fl, "sub/__pycache__/g.py", true) == 0);
	CHECK(listed(&fl, "sub/.hidden.py"));
	CHECK(listed(&fl, "sub/__pycache__/g.py"));
	CHECK(fl.n == 5);
	filelist_free(&fl);
	CHECK(fl.n == 0 && fl.v == NULL && fl.cwd == NULL);
}

static void
test_directory(void)
{
	struct filelist fl;

	filelist_init(&fl, NULL, 0);
	CHECK(filelist_add(&fl, "sub", true) == 0);
	CHECK(listed(&fl, "sub/c.py"));
	CHECK(listed(&fl, "sub/d.txt"));
	CHECK(listed(&fl, "sub/deep/e.py"));
	/* A link to a file is a file; a dangling one is a missing file. */
	CHECK(listed(&fl, "sub/linkfile.py"));
	CHECK(listed(&fl, "sub/dangling.py"));
	/* Not hidden files, hidden or __pycache__ directories, or links to
	 * directories. */
	CHECK(find(&fl, "sub/.hidden.py") == NULL);
	CHECK(find(&fl, "sub/.hdir/f.py") == NULL);
	CHECK(find(&fl, "sub/__pycache__/g.py") == NULL);
	CHECK(find(&fl, "sub/linkdir/h.py") == NULL);
	CHECK(find(&fl, "sub/linkdir") == NULL);
	CHECK(fl.n == 5);

	/* Adding the directory again, or one of its files, adds nothing. */
	CHECK(filelist_add(&fl, "./sub/", true) == 0);
	CHECK(filelist_add(&fl, "sub/deep", true) == 0);
	CHECK(filelist_add(&fl, "sub/c.py", true) == 0);
	CHECK(fl.n == 5);

	/* A link to a directory named on the command line is followed. */
	CHECK(filelist_add(&fl, "sub/linkdir", true) == 0);
	CHECK(listed(&fl, "sub/linkdir/h.py"));
	CHECK(fl.n == 6);
	filelist_free(&fl);

	/* "." is the whole tree. */
	filelist_init(&fl, NULL, 0);
	CHECK(filelist_add(&fl, ".", true) == 0);
	CHECK(listed(&fl, "a.py"));
	CHECK(listed(&fl, "b.txt"));
	CHECK(listed(&fl, "we ird\nname.py"));
	CHECK(listed(&fl, " space.py"));
	CHECK(listed(&fl, "lib/h.py"));
	CHECK(listed(&fl, "sub/c.py"));
	CHECK(fl.n == 10);
	filelist_free(&fl);

	/* A hidden directory named on the command line is walked. */
	filelist_init(&fl, NULL, 0);
	CHECK(filelist_add(&fl, "sub/.hdir", true) == 0);
	CHECK(fl.n == 1);
	CHECK(listed(&fl, "sub/.hdir/f.py"));
	filelist_free(&fl);
}

static void
test_ext_filter(void)
{
	static char *const exts[] = {".py", ".txt"};
	struct filelist fl;

	filelist_init(&fl, exts, 1);
	CHECK(fl.exts == exts && fl.nexts == 1);
	CHECK(filelist_add(&fl, "sub", true) == 0);
	CHECK(listed(&fl, "sub/c.py"));
	CHECK(listed(&fl, "sub/deep/e.py"));
	CHECK(listed(&fl, "sub/linkfile.py"));
	CHECK(listed(&fl, "sub/dangling.py"));
	CHECK(find(&fl, "sub/d.txt") == NULL);
	CHECK(fl.n == 4);
	/* Files named on the command line are kept whatever their ending. */
	CHECK(filelist_add(&fl, "b.txt", true) == 0);
	CHECK(listed(&fl, "b.txt"));
	CHECK(fl.n == 5);
	/* Paths from stdin are filtered like directory contents. */
	CHECK(filelist_add(&fl, "sub/d.txt", false) == 0);
	CHECK(find(&fl, "sub/d.txt") == NULL);
	CHECK(filelist_add(&fl, "a.py", false) == 0);
	CHECK(listed(&fl, "a.py"));
	CHECK(fl.n == 6);
	/* A directory from stdin is walked, and filtered. */
	CHECK(filelist_add(&fl, "lib", false) == 0);
	CHECK(listed(&fl, "lib/h.py"));
	CHECK(fl.n == 7);
	filelist_free(&fl);

	/* Several endings; the ending must be more than the whole name. */
	filelist_init(&fl, exts, 2);
	CHECK(filelist_add(&fl, "sub", true) == 0);
	CHECK(listed(&fl, "sub/d.txt"));
	CHECK(listed(&fl, "sub/c.py"));
	CHECK(fl.n == 5);
	filelist_free(&fl);

	{
		static char *const nopy[] = {"py.x"};

		filelist_init(&fl, nopy, 1);
		CHECK(filelist_add(&fl, "sub", true) == 0);
		CHECK(fl.n == 0);
		filelist_free(&fl);
	}
}

static void
test_missing(void)
{
	static char *const exts[] = {".py"};
	struct filelist fl;

	filelist_init(&fl, NULL, 0);
	CHECK(filelist_add(&fl, "missing.py", true) == ENOENT);
	CHECK(fl.n == 1);
	CHECK(listed(&fl, "missing.py"));
	CHECK(filelist_add(&fl, "nodir/missing.txt", true) == ENOENT);
	CHECK(listed(&fl, "nodir/missing.txt"));
	CHECK(filelist_add(&fl, "a.py/x", true) == ENOTDIR);
	CHECK(listed(&fl, "a.py/x"));
	/* Adding it again still says it is missing, and adds nothing. */
	CHECK(filelist_add(&fl, "./missing.py", true) == ENOENT);
	CHECK(fl.n == 3);
	CHECK(filelist_stat_all(&fl) == 0);
	filelist_free(&fl);

	/* From stdin, a missing file of another ending is dropped quietly. */
	filelist_init(&fl, exts, 1);
	CHECK(filelist_add(&fl, "missing.txt", false) == 0);
	CHECK(fl.n == 0);
	CHECK(filelist_add(&fl, "missing.py", false) == ENOENT);
	CHECK(listed(&fl, "missing.py"));
	CHECK(fl.n == 1);
	filelist_free(&fl);
}

/* Return a stream holding the n bytes of data, to read from the start. */
static FILE *
stream_of(const char *data, size_t n)
{
	FILE *fp = tmpfile();

	if (fp == NULL)
		die("tmpfile");
	if (fwrite(data, 1, n, fp) != n)
		die("fwrite");
	rewind(fp);
	return fp;
}

static void
test_read(void)
{
	static const char lines[] = "a.py\r\n"
	                            "\n"
	                            "\r\n"
	                            "./sub/c.py\n"
	                            "  space.py\n"
	                            "sub/deep\n"
	                            "a.py\n"
	                            "b.txt";
	static const char nul[] = "we ird\nname.py\0"
	                          " space.py\0"
	                          "\0"
	                          "a.py\r\0"
	                          "sub/d.txt";
	static char *const exts[] = {".py"};
	struct filelist fl;
	FILE *fp;

	filelist_init(&fl, NULL, 0);
	fp = stream_of(lines, sizeof lines - 1);
	CHECK(filelist_read(&fl, fp, '\n') == 6);
	fclose(fp);
	CHECK(listed(&fl, "a.py"));
	CHECK(listed(&fl, "sub/c.py"));
	CHECK(listed(&fl, "  space.py")); /* missing: two spaces */
	CHECK(listed(&fl, "sub/deep/e.py"));
	CHECK(listed(&fl, "b.txt")); /* the last line, without a newline */
	CHECK(find(&fl, "a.py\r") == NULL);
	CHECK(fl.n == 5);
	filelist_free(&fl);

	filelist_init(&fl, NULL, 0);
	fp = stream_of(nul, sizeof nul - 1);
	CHECK(filelist_read(&fl, fp, '\0') == 4);
	fclose(fp);
	CHECK(listed(&fl, "we ird\nname.py"));
	CHECK(listed(&fl, " space.py"));
	CHECK(listed(&fl, "a.py\r")); /* only lines lose a carriage return */
	CHECK(listed(&fl, "sub/d.txt"));
	CHECK(fl.n == 4);
	CHECK(filelist_stat_all(&fl) == 3);
	filelist_free(&fl);

	/* The ending filter applies to what is read. */
	filelist_init(&fl, exts, 1);
	fp = stream_of(nul, sizeof nul - 1);
	CHECK(filelist_read(&fl, fp, '\0') == 4);
	fclose(fp);
	CHECK(listed(&fl, "we ird\nname.py"));
	CHECK(listed(&fl, " space.py"));
	CHECK(fl.n == 2);
	filelist_free(&fl);

	/* Nothing to read. */
	filelist_init(&fl, NULL, 0);
	fp = stream_of("\n\n", 2);
	CHECK(filelist_read(&fl, fp, '\n') == 0);
	fclose(fp);
	CHECK(fl.n == 0);

	/* A read error. */
	fp = fopen("/dev/null", "w");
	if (fp == NULL)
		die("/dev/null");
	CHECK(filelist_read(&fl, fp, '\n') == -1);
	fclose(fp);
	filelist_free(&fl);
}

static void
test_names(void)
{
	struct filelist fl;
	char path[4096], want[4096];

	snprintf(path, sizeof path, "%s/o.py", other);
	make_file(path, "o\n");

	filelist_init(&fl, NULL, 0);
	/* Outside the current directory, the name goes up with "..", from
	 * the directory the two share... */
	CHECK(filelist_add(&fl, path, true) == 0);
	CHECK(fl.n == 1);
	if (fl.n == 1) {
		CHECK_STR(fl.v[0].path, path);
		snprintf(want, sizeof want, "../%s/o.py",
			 strrchr(other, '/') + 1);
		CHECK_STR(fl.v[0].name, want);
	}
	/* ... unless that is the root: then it is the absolute path. */
	CHECK(filelist_add(&fl, "/hotload-no-such-dir/x", true) == ENOENT);
	CHECK(fl.n == 2);
	if (fl.n == 2)
		CHECK(fl.v[1].name == fl.v[1].path);
	filelist_free(&fl);

	/* ".." is resolved where the directory exists: one file under
	 * several names is kept once, under its clean name. */
	filelist_init(&fl, NULL, 0);
	CHECK(filelist_add(&fl, "../x", true) == ENOENT);
	CHECK(filelist_add(&fl, "lib/../../x", true) == ENOENT);
	CHECK(filelist_add(&fl, "a.py", true) == 0);
	CHECK(filelist_add(&fl, "lib/../a.py", true) == 0);
	CHECK(fl.n == 2);
	if (fl.n == 2) {
		CHECK_STR(fl.v[0].name, "../x");
		CHECK_STR(fl.v[1].name, "a.py");
	}
	/* Where it does not, ".." stays. */
	CHECK(filelist_add(&fl, "none/../b.py", true) == ENOENT);
	CHECK(fl.n == 3);
	if (fl.n == 3)
		CHECK_STR(fl.v[2].name, "none/../b.py");
	filelist_free(&fl);

	/* With / as the current directory, names lose the leading slash. */
	if (chdir("/") != 0)
		die("/");
	filelist_init(&fl, NULL, 0);
	CHECK_STR(fl.cwd, "/");
	snprintf(path, sizeof path, "%s/a.py", cwd);
	CHECK(filelist_add(&fl, path + 1, true) == 0);
	CHECK(filelist_add(&fl, path, true) == 0);
	CHECK(fl.n == 1);
	if (fl.n == 1) {
		CHECK_STR(fl.v[0].path, path);
		CHECK_STR(fl.v[0].name, path + 1);
	}
	filelist_free(&fl);
	if (chdir(cwd) != 0)
		die(cwd);
}

/* Return the position of the directory cwd/name in the table, or -1. */
static long
dir_of(const struct filelist *fl, const char *name)
{
	char path[4096];
	size_t i;

	if (name[0] == '\0')
		snprintf(path, sizeof path, "%s", cwd);
	else
		snprintf(path, sizeof path, "%s/%s", cwd, name);
	i = strmap_get(&fl->dirindex, path);
	if (i == STRMAP_NONE)
		return -1;
	if (i >= fl->ndirs || strcmp(fl->dirs[i].path, path) != 0) {
		fprintf(stderr, "directory \"%s\" indexed wrong\n", path);
		return -1;
	}
	return (long)i;
}

static void
test_dirs(void)
{
	struct filelist fl;
	const struct entry *e;
	long top, sub, deep, fresh;
	size_t n;

	filelist_init(&fl, NULL, 0);
	CHECK(filelist_add(&fl, "a.py", true) == 0);
	CHECK(filelist_add(&fl, "sub/deep/e.py", true) == 0);
	top = dir_of(&fl, "");
	deep = dir_of(&fl, "sub/deep");
	CHECK(top >= 0 && deep >= 0 && fl.ndirs == 2);
	/* A file's directory is watched, but is no root: nothing joins. */
	CHECK(top >= 0 && !fl.dirs[top].root);
	CHECK(deep >= 0 && !fl.dirs[deep].root);
	CHECK(top >= 0 && fl.dirs[top].st.exists &&
	      S_ISDIR(fl.dirs[top].st.mode));
	CHECK(top >= 0 && fl.dirs[top].wd == -1);
	e = find(&fl, "a.py");
	CHECK(e != NULL && (long)e->dir == top);
	e = find(&fl, "sub/deep/e.py");
	CHECK(e != NULL && (long)e->dir == deep);
	CHECK(dir_of(&fl, "sub") == -1);

	make_file("new.py", "n\n");
	filelist_discover(&fl, (size_t)top, "new.py");
	filelist_rescan(&fl, (size_t)top);
	CHECK(find(&fl, "new.py") == NULL);
	CHECK(fl.n == 2);

	/* Walking sub makes it and its directories roots. */
	CHECK(filelist_add(&fl, "sub", true) == 0);
	sub = dir_of(&fl, "sub");
	CHECK(sub >= 0 && fl.dirs[sub].root);
	CHECK(deep >= 0 && fl.dirs[deep].root);
	CHECK(!fl.dirs[top].root);
	CHECK(dir_of(&fl, "sub/.hdir") == -1);
	CHECK(dir_of(&fl, "sub/__pycache__") == -1);
	CHECK(dir_of(&fl, "sub/linkdir") == -1);
	CHECK(dir_of(&fl, "lib") == -1);
	CHECK(fl.ndirs == 3);
	e = find(&fl, "sub/c.py");
	CHECK(e != NULL && (long)e->dir == sub);
	e = find(&fl, "sub/dangling.py");
	CHECK(e != NULL && (long)e->dir == sub);
	CHECK(fl.n == 6);

	/* Names that appear in a root join; hidden ones do not. */
	make_file("sub/later.py", "l\n");
	make_file("sub/.later.py", "l\n");
	filelist_discover(&fl, (size_t)sub, "later.py");
	filelist_discover(&fl, (size_t)sub, ".later.py");
	filelist_discover(&fl, (size_t)sub, "never.py");
	CHECK(listed(&fl, "sub/later.py"));
	CHECK(find(&fl, "sub/.later.py") == NULL);
	CHECK(find(&fl, "sub/never.py") == NULL);
	CHECK(fl.n == 7);
	filelist_discover(&fl, (size_t)sub, "later.py");
	CHECK(fl.n == 7);

	/* A directory that appears is walked, and becomes a root. */
	make_dir("sub/fresh");
	make_file("sub/fresh/x.py", "x\n");
	filelist_discover(&fl, (size_t)sub, "fresh");
	CHECK(listed(&fl, "sub/fresh/x.py"));
	fresh = dir_of(&fl, "sub/fresh");
	CHECK(fresh >= 0 && fl.dirs[fresh].root);
	CHECK(fl.n == 8);

	/* A rescan finds what no event told of, and adds nothing twice. */
	make_file("sub/deep/y.py", "y\n");
	make_file("sub/fresh/z.py", "z\n");
	n = fl.n;
	filelist_rescan(&fl, (size_t)deep);
	CHECK(listed(&fl, "sub/deep/y.py"));
	CHECK(fl.n == n + 1);
	/* Each root is read alone: sub's rescan leaves sub/fresh to its own. */
	filelist_rescan(&fl, (size_t)sub);
	CHECK(find(&fl, "sub/fresh/z.py") == NULL);
	CHECK(fl.n == n + 1);
	filelist_rescan(&fl, (size_t)fresh);
	CHECK(listed(&fl, "sub/fresh/z.py"));
	CHECK(fl.n == n + 2);
	filelist_rescan(&fl, (size_t)fresh);
	CHECK(fl.n == n + 2);
	CHECK(fl.ndirs == 4);
	filelist_free(&fl);
	CHECK(fl.ndirs == 0 && fl.dirs == NULL);

	unlink("new.py");
	unlink("sub/later.py");
	unlink("sub/.later.py");
	unlink("sub/deep/y.py");
	unlink("sub/fresh/x.py");
	unlink("sub/fresh/z.py");
	rmdir("sub/fresh");
}

static void
test_stat_all(void)
{
	struct filelist fl;
	const struct entry *e;

	filelist_init(&fl, NULL, 0);
	filelist_add(&fl, "a.py", true);
	filelist_add(&fl, "later.py", true);
	filelist_add(&fl, "sub", true);
	CHECK(fl.n == 7);
	CHECK(filelist_stat_all(&fl) == 5); /* all but two missing files */
	e = find(&fl, "a.py");
	CHECK(e != NULL && e->st.exists && e->st.size == 2);
	e = find(&fl, "later.py");
	CHECK(e != NULL && !e->st.exists);
	e = find(&fl, "sub/dangling.py");
	CHECK(e != NULL && !e->st.exists);

	make_file("later.py", "now\n");
	CHECK(filelist_stat_all(&fl) == 6);
	e = find(&fl, "later.py");
	CHECK(e != NULL && e->st.exists && e->st.size == 4);
	unlink("later.py");
	unlink("a.py");
	CHECK(filelist_stat_all(&fl) == 3); /* the link to a.py dangles too */
	make_file("a.py", "a\n");
	filelist_free(&fl);
}

int
main(void)
{
	make_tree();
	test_explicit_files();
	test_directory();
	test_ext_filter();
	test_missing();
	test_read();
	test_names();
	test_dirs();
	test_stat_all();
	remove_tree();
	return CHECK_DONE();
}
