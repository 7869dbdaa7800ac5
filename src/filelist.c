/*
 * filelist.c: the list of watched files, built from arguments or stdin, and
 * the table of their directories. Directories named by the user ("roots")
 * are walked, and files that appear in them later join the list, except
 * what the ignore rules leave out (ignore.c); a directory left out is not
 * walked and gets no table entry, so no watch. With --auto, the files of
 * the modules the program imports join the list as they are imported, from
 * any thread (filelist_offer), and after each round as a whole set
 * (filelist_modules). Every file is kept once, under its absolute path, and
 * never removed: a file that goes away is watched until it comes back, and
 * the file of a module no longer imported stays in the list, idle.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#define _DEFAULT_SOURCE   /* d_type and DT_* where the C library has them */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

/* Held while the list grows: a thread may look files up meanwhile. */
static pthread_mutex_t growing = PTHREAD_MUTEX_INITIALIZER;
/* Held while files are offered (filelist_offer) or taken. */
static pthread_mutex_t offering = PTHREAD_MUTEX_INITIALIZER;

/* Is path (absolute and clean) one of the files? Safe from any thread. */
bool
filelist_has(struct filelist *fl, const char *path)
{
	bool found;

	pthread_mutex_lock(&growing);
	found = strmap_get(&fl->index, path) != STRMAP_NONE;
	pthread_mutex_unlock(&growing);
	return found;
}

/* The current directory, allocated; NULL, with errno set, if unknown. */
static char *
current_dir(void)
{
	size_t size = 256;
	char *buf = NULL;
	int error;

	for (;;) {
		buf = xrealloc(buf, size);
		if (getcwd(buf, size) != NULL)
			return buf;
		if (errno != ERANGE) {
			error = errno;
			free(buf);
			errno = error;
			return NULL;
		}
		size *= 2;
	}
}

/*
 * Start an empty list, of files ending in one of exts (all files if there
 * are none), with the default ignore rules. Returns 0, or -1 with errno set
 * when the current directory cannot be found (it was removed); the list
 * can then only be freed.
 */
int
filelist_init(struct filelist *fl, char *const *exts, size_t nexts)
{
	memset(fl, 0, sizeof *fl);
	fl->cwd = current_dir();
	if (fl->cwd == NULL)
		return -1;
	fl->cwdlen = strlen(fl->cwd);
	fl->exts = exts;
	fl->nexts = nexts;
	fl->ignore = ignore_new(fl->cwd);
	return 0;
}

/* Take the ignore rules from --ignore, --no-ignore and -v. */
void
filelist_ignore(struct filelist *fl, const struct options *o)
{
	ignore_configure(fl->ignore, o->ignores, o->nignores, o->no_ignore);
	fl->verbose = o->verbose;
}

void
filelist_free(struct filelist *fl)
{
	size_t i;

	for (i = 0; i < fl->n; i++) {
		if (fl->v[i].own_name)
			free((char *)fl->v[i].name);
		free(fl->v[i].path);
	}
	for (i = 0; i < fl->ndirs; i++)
		free(fl->dirs[i].path);
	for (i = 0; i < fl->noffers; i++)
		free(fl->offers[i]);
	free(fl->offers);
	free(fl->v);
	free(fl->dirs);
	free(fl->cwd);
	ignore_free(fl->ignore);
	strmap_free(&fl->index);
	strmap_free(&fl->dirindex);
	memset(fl, 0, sizeof *fl);
}

/*
 * Return path made absolute against the directory dir (of length dirlen),
 * without "." components, repeated or trailing slashes. ".." is kept: it
 * cannot be removed without looking at symbolic links.
 */
char *
path_join_clean(const char *dir, size_t dirlen, const char *path)
{
	size_t plen = strlen(path);
	char *out = xmalloc(dirlen + plen + 3);
	const char *p = path, *seg;
	size_t n = 0, len;

	if (path[0] != '/') {
		memcpy(out, dir, dirlen);
		n = dirlen;
	}
	while (*p != '\0') {
		while (*p == '/')
			p++;
		seg = p;
		while (*p != '\0' && *p != '/')
			p++;
		len = (size_t)(p - seg);
		if (len == 0 || (len == 1 && seg[0] == '.'))
			continue;
		if (n == 0 || out[n - 1] != '/')
			out[n++] = '/';
		memcpy(out + n, seg, len);
		n += len;
	}
	if (n == 0)
		out[n++] = '/';
	out[n] = '\0';
	return out;
}

static bool
ext_matches(const struct filelist *fl, const char *path)
{
	size_t i, n = strlen(path), e;

	if (fl->nexts == 0)
		return true;
	for (i = 0; i < fl->nexts; i++) {
		e = strlen(fl->exts[i]);
		if (n > e && strcmp(path + n - e, fl->exts[i]) == 0)
			return true;
	}
	return false;
}

/*
 * Return the position of the directory path (absolute and clean) in the
 * table, adding it if needed; root marks it as one whose new files join.
 */
size_t
filelist_dir(struct filelist *fl, const char *path, bool root)
{
	size_t i = strmap_get(&fl->dirindex, path);
	struct wdir *d;

	if (i != STRMAP_NONE) {
		fl->dirs[i].root |= root;
		return i;
	}
	if (fl->ndirs == fl->capdirs) {
		fl->capdirs = fl->capdirs ? fl->capdirs * 2 : 16;
		fl->dirs =
		    xreallocarray(fl->dirs, fl->capdirs, sizeof *fl->dirs);
	}
	d = &fl->dirs[fl->ndirs];
	memset(d, 0, sizeof *d);
	d->path = xstrdup(path);
	d->wd = -1;
	d->root = root;
	fstate_read(&d->st, d->path, now_ns());
	strmap_put(&fl->dirindex, d->path, fl->ndirs);
	return fl->ndirs++;
}

/*
 * The name of path (absolute and clean) relative to the current directory
 * cwd, going up with "..", when the two share a directory other than the
 * root: "../lib.py" rather than "/home/me/lib.py". NULL otherwise.
 */
static char *
name_from_cwd(const char *cwd, const char *path)
{
	size_t common = 0, i, ups = 0;
	char *name;

	/* The longest leading directory the two share, ending at a slash. */
	for (i = 0; cwd[i] != '\0' && cwd[i] == path[i]; i++)
		if (cwd[i] == '/')
			common = i;
	if (cwd[i] == '\0' && path[i] == '/')
		common = i;
	if (common == 0)
		return NULL;
	for (i = common; cwd[i] != '\0'; i++)
		if (cwd[i] == '/')
			ups++;
	name = xmalloc(ups * 3 + strlen(path + common));
	for (i = 0; i < ups; i++)
		memcpy(name + i * 3, "../", 3);
	strcpy(name + ups * 3, path + common + 1);
	return name;
}

/*
 * Append path (absolute, clean, owned by the list) unless already there;
 * return its position. A file named, or found in a directory, is watched
 * whether or not a module imports it.
 */
static size_t
add_entry(struct filelist *fl, char *path)
{
	struct entry *e;
	size_t pre, i = strmap_get(&fl->index, path);
	char *slash;

	if (i != STRMAP_NONE) {
		fl->v[i].by_module = fl->v[i].idle = false;
		free(path);
		return i;
	}
	pthread_mutex_lock(&growing);
	if (fl->n == fl->cap) {
		fl->cap = fl->cap ? fl->cap * 2 : 64;
		fl->v = xreallocarray(fl->v, fl->cap, sizeof *fl->v);
	}
	e = &fl->v[fl->n];
	memset(e, 0, sizeof *e);
	e->path = path;
	/* Show files below the current directory by their relative name. */
	pre = fl->cwdlen == 1 ? 1 : fl->cwdlen + 1;
	if (strncmp(path, fl->cwd, fl->cwdlen) == 0 && path[pre - 1] == '/' &&
	    path[pre] != '\0')
		e->name = path + pre;
	else if ((e->name = name_from_cwd(fl->cwd, path)) != NULL)
		e->own_name = true;
	else
		e->name = path;
	slash = strrchr(path, '/');
	*slash = '\0';
	e->dir = filelist_dir(fl, slash == path ? "/" : path, false);
	*slash = '/';
	strmap_put(&fl->index, e->path, fl->n);
	i = fl->n++;
	pthread_mutex_unlock(&growing);
	return i;
}

static void add_dir(struct filelist *, const char *, bool);

/* How read_names tells a directory's entries apart, when it can. */
#define NAME_FILE 'f'    /* a regular file */
#define NAME_DIR 'd'     /* a directory, not a link to one */
#define NAME_UNKNOWN '?' /* to be looked at */

/*
 * Add child, a path in a root directory whose ignore rules are rules: a
 * file if its ending is wanted, or a directory's files, unless the
 * directory is a root already, or the rules leave either out. Symbolic
 * links to directories are not followed. type is what reading the
 * directory said child is (NAME_*).
 */
static void
add_child(struct filelist *fl, struct ignore_dir *rules, char type, char *child)
{
	struct stat sb;
	size_t known;

	if (type == NAME_FILE) {
		sb.st_mode = S_IFREG;
	} else if (type == NAME_DIR) {
		sb.st_mode = S_IFDIR;
	} else if (lstat(child, &sb) != 0) {
		free(child);
		return;
	}
	if (S_ISDIR(sb.st_mode)) {
		known = strmap_get(&fl->dirindex, child);
		if ((known == STRMAP_NONE || !fl->dirs[known].root) &&
		    !ignore_test(fl->ignore, rules, child, true))
			add_dir(fl, child, false);
		free(child);
	} else if (S_ISLNK(sb.st_mode) && stat(child, &sb) == 0 &&
	           S_ISDIR(sb.st_mode)) {
		free(child);
	} else if (ext_matches(fl, child) &&
	           !ignore_test(fl->ignore, rules, child, false)) {
		add_entry(fl, child);
	} else {
		free(child);
	}
}

/* What the directory entry de is, as far as readdir says (NAME_*). */
static char
entry_type(const struct dirent *de)
{
#ifdef DT_UNKNOWN
	if (de->d_type == DT_REG)
		return NAME_FILE;
	if (de->d_type == DT_DIR)
		return NAME_DIR;
#else
	(void)de;
#endif
	return NAME_UNKNOWN;
}

/*
 * Read the names in the directory d, but the hidden ones, into an
 * allocated buffer of *len bytes: each name follows its type (NAME_*) and
 * ends in a NUL. *marks gets what ignore_enter needs to know of it.
 */
static char *
read_names(DIR *d, size_t *len, unsigned *marks)
{
	struct dirent *de;
	size_t cap = 0, used = 0, n;
	char *buf = NULL;

	*marks = IGNORE_LISTED;
	while ((de = readdir(d)) != NULL) {
		if (ignore_hidden(de->d_name)) {
			*marks |= ignore_mark(de->d_name);
			continue;
		}
		n = strlen(de->d_name) + 2;
		if (used + n > cap) {
			cap = (used + n) * 2 > 256 ? (used + n) * 2 : 256;
			buf = xrealloc(buf, cap);
		}
		buf[used] = entry_type(de);
		memcpy(buf + used + 1, de->d_name, n - 1);
		used += n;
	}
	*len = used;
	return buf;
}

/*
 * Make dir a root and add the files below it; dir is not kept. The
 * directory is read whole before its subdirectories are, so that the walk
 * holds one descriptor at a time.
 */
static void
add_dir(struct filelist *fl, const char *dir, bool quiet)
{
	struct ignore_dir *rules;
	size_t dlen = strlen(dir), len, i;
	unsigned marks;
	char *names;
	DIR *d;

	filelist_dir(fl, dir, true);
	d = opendir(dir);
	if (d == NULL) {
		if (!quiet)
			hl_msg("%s: %s (skipped)", dir, strerror(errno));
		return;
	}
	names = read_names(d, &len, &marks);
	closedir(d);
	rules = ignore_enter(fl->ignore, dir, marks);
	for (i = 0; i < len; i += strlen(names + i + 1) + 2)
		add_child(fl, rules, names[i],
		          path_join_clean(dir, dlen, names + i + 1));
	free(names);
}

/*
 * The root directory dir turned out to be a virtual environment (its
 * pyvenv.cfg appeared after it did): new files in it, and in the
 * directories below it, no longer join.
 */
static void
unroot_venv(struct filelist *fl, size_t dir)
{
	const char *path = fl->dirs[dir].path;
	size_t len = strlen(path), i;

	for (i = 0; i < fl->ndirs; i++)
		if (strncmp(fl->dirs[i].path, path, len) == 0 &&
		    (fl->dirs[i].path[len] == '\0' ||
		     fl->dirs[i].path[len] == '/'))
			fl->dirs[i].root = false;
}

/*
 * Has the root directory dir become a virtual environment (a pyvenv.cfg
 * appeared in it), which the rules of the root directory above it leave
 * out? One the user named has no such parent, and stays.
 */
static bool
became_venv(struct filelist *fl, size_t dir)
{
	char *up = xstrdup(fl->dirs[dir].path), *slash = strrchr(up, '/');
	char *cfg = path_join_clean(up, strlen(up), "pyvenv.cfg");
	size_t parent;
	bool out = false;

	if (slash != up && access(cfg, F_OK) == 0) {
		*slash = '\0';
		parent = strmap_get(&fl->dirindex, up);
		out = parent != STRMAP_NONE && fl->dirs[parent].root &&
		      ignore_test(fl->ignore, ignore_at(fl->ignore, up),
		                  fl->dirs[dir].path, true);
	}
	free(cfg);
	free(up);
	return out;
}

/* A name appeared in the root directory dir: watch it if it is wanted. */
void
filelist_discover(struct filelist *fl, size_t dir, const char *name)
{
	const char *path = fl->dirs[dir].path;

	if (!fl->dirs[dir].root || ignore_hidden(name))
		return;
	if (strcmp(name, "pyvenv.cfg") == 0 && became_venv(fl, dir)) {
		unroot_venv(fl, dir);
		return;
	}
	add_child(fl, ignore_at(fl->ignore, path), NAME_UNKNOWN,
	          path_join_clean(path, strlen(path), name));
}

/*
 * Read the root directory dir again, for files and directories new in it,
 * unless it turned out to be a virtual environment.
 */
void
filelist_rescan(struct filelist *fl, size_t dir)
{
	char *path;

	if (!fl->dirs[dir].root)
		return;
	if (became_venv(fl, dir)) {
		unroot_venv(fl, dir);
		return;
	}
	path = xstrdup(fl->dirs[dir].path);
	add_dir(fl, path, true);
	free(path);
}

/* Say that path cannot be looked at; past the first few, only count. */
static void
report(struct filelist *fl, const char *path, int error, bool kept)
{
	if (fl->nreported++ < 10)
		hl_msg("%.200s%s: %s (%s)", path,
		       strlen(path) > 200 ? "..." : "", strerror(error),
		       kept ? "watching for it to appear" : "skipped");
}

/*
 * Say (with -v) what the ignore rules left out of the directories, one line
 * per file of rules, named as the watched files are.
 */
static void
report_ignored(struct filelist *fl)
{
	const char *source, *name;
	size_t i, files, dirs, pre;
	char *own;

	for (i = 0; ignore_tally(fl->ignore, i, &source, &files, &dirs); i++) {
		if (files == 0 && dirs == 0)
			continue;
		pre = fl->cwdlen == 1 ? 1 : fl->cwdlen + 1;
		own = NULL;
		if (source[0] != '/')
			name = source;
		else if (strncmp(source, fl->cwd, fl->cwdlen) == 0 &&
		         source[pre - 1] == '/')
			name = source + pre;
		else if ((own = name_from_cwd(fl->cwd, source)) != NULL)
			name = own;
		else
			name = source;
		if (dirs == 0)
			hl_msg("left out %zu file%s (%s)", files,
			       files == 1 ? "" : "s", name);
		else if (files == 0)
			hl_msg("left out %zu director%s (%s)", dirs,
			       dirs == 1 ? "y" : "ies", name);
		else
			hl_msg("left out %zu file%s and %zu director%s (%s)",
			       files, files == 1 ? "" : "s", dirs,
			       dirs == 1 ? "y" : "ies", name);
		free(own);
	}
	ignore_tally_clear(fl->ignore);
}

/* After the paths are added: count the ones not named. */
void
filelist_report_rest(struct filelist *fl)
{
	if (fl->nreported > 10)
		hl_msg("%zu more paths cannot be looked at now (watching for "
		       "those to appear)",
		       fl->nreported - 10);
	fl->nreported = 0;
	if (fl->verbose)
		report_ignored(fl);
}

/*
 * Take the ".." out of path (absolute and clean, freed here) by resolving,
 * symbolic links and all, the directory it names, or path itself when it is
 * a directory: sub/../a.py and a.py are then one file. A path whose
 * directory does not exist (yet) stays as it is.
 */
static char *
without_dotdot(char *path, bool is_dir)
{
	char *slash, *dir, *out;
	size_t len = strlen(path);

	if (strstr(path, "/../") == NULL &&
	    (len < 3 || strcmp(path + len - 3, "/..") != 0))
		return path;
	if (is_dir) {
		out = realpath(path, NULL);
		if (out == NULL)
			return path;
		free(path);
		return out;
	}
	slash = strrchr(path, '/');
	*slash = '\0';
	dir = realpath(slash == path ? "/" : path, NULL);
	*slash = '/';
	if (dir == NULL)
		return path;
	out = path_join_clean(dir, strlen(dir), slash + 1);
	free(dir);
	free(path);
	return out;
}

/*
 * Add one path: a file, a directory (its files), or a missing file, which is
 * watched for until it appears; a path too long to ever look at is skipped.
 * Paths from the command line (explicit) are kept whatever their ending.
 * Returns 0, or the errno of a path that cannot be looked at, after saying
 * so.
 */
int
filelist_add(struct filelist *fl, const char *path, bool explicit)
{
	char *abs = path_join_clean(fl->cwd, fl->cwdlen, path);
	struct stat sb;
	int error = stat(abs, &sb) == 0 ? 0 : errno;

	abs = without_dotdot(abs, error == 0 && S_ISDIR(sb.st_mode));
	if (error == 0 && S_ISDIR(sb.st_mode)) {
		add_dir(fl, abs, false);
		free(abs);
		return 0;
	}
	if (!explicit && !ext_matches(fl, abs)) {
		free(abs);
		return 0;
	}
	if (error == ENAMETOOLONG) {
		report(fl, path, error, false);
		free(abs);
		return error;
	}
	if (error != 0)
		report(fl, path, error, true);
	add_entry(fl, abs);
	return error;
}

/*
 * Read paths separated by sep ('\n' or '\0') from fp and add them. Empty
 * lines are skipped, and so is a carriage return ending a line. Returns the
 * number of paths read, or -1 on a read error.
 */
int
filelist_read(struct filelist *fl, FILE *fp, int sep)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int count = 0;

	while ((n = getdelim(&line, &cap, sep, fp)) != -1) {
		if (n > 0 && line[n - 1] == sep)
			line[--n] = '\0';
		if (sep == '\n' && n > 0 && line[n - 1] == '\r')
			line[--n] = '\0';
		if (n == 0)
			continue;
		filelist_add(fl, line, false);
		count++;
	}
	free(line);
	return ferror(fp) ? -1 : count;
}

/* Look at every file once; return how many exist. */
size_t
filelist_stat_all(struct filelist *fl)
{
	size_t i, found = 0;

	for (i = 0; i < fl->n; i++) {
		fstate_read(&fl->v[i].st, fl->v[i].path, now_ns());
		found += fl->v[i].st.exists;
	}
	return found;
}

/*
 * Join path, the file of a module imported (--auto), to the list: as a new
 * file, or as one that was idle. Its state is read now: the module was
 * loaded from what the file holds, which is no change. *joined says whether
 * it was new or idle. Returns its position.
 */
static size_t
join_module(struct filelist *fl, const char *path, bool *joined)
{
	char *abs =
	    without_dotdot(path_join_clean(fl->cwd, fl->cwdlen, path), false);
	size_t i = strmap_get(&fl->index, abs);
	struct entry *e;

	*joined = i == STRMAP_NONE;
	if (i != STRMAP_NONE) {
		free(abs);
		if (!fl->v[i].idle)
			return i;
		fl->v[i].idle = false;
		*joined = true;
	} else {
		i = add_entry(fl, abs);
		fl->v[i].by_module = true;
	}
	e = &fl->v[i];
	fstate_read(&e->st, e->path, now_ns());
	return i;
}

/* Join path, the file of a module (--auto); return its position. */
size_t
filelist_join(struct filelist *fl, const char *path)
{
	bool joined;

	return join_module(fl, path, &joined);
}

/*
 * Say (with -v) which files joined (start) or left: n files, at positions
 * idx, the first ten by name.
 */
static void
report_modules(const struct filelist *fl, const size_t *idx, size_t n,
               bool start)
{
	char list[1024];
	size_t i, used = 0;

	if (n == 0 || !fl->verbose)
		return;
	list[0] = '\0';
	for (i = 0; i < n && i < 10 && used < sizeof list; i++)
		used +=
		    (size_t)snprintf(list + used, sizeof list - used, "%s%s",
		                     i ? ", " : "", fl->v[idx[i]].name);
	if (n > 10 && used < sizeof list)
		snprintf(list + used, sizeof list - used, " and %zu more",
		         n - 10);
	if (start && n == 1)
		hl_msg("watching %s, the file of an imported module", list);
	else if (start)
		hl_msg("watching %zu files of imported modules: %s", n, list);
	else if (n == 1)
		hl_msg("no longer watching %s: no module imports it now", list);
	else
		hl_msg("no longer watching %zu files no module imports now: %s",
		       n, list);
}

/*
 * The files of the modules imported (--auto) are the n paths: they join
 * the list. With all, they are all of them: the other files that joined
 * so are idle from now on (no module imports them any more). Says so with
 * -v. Returns how many files joined.
 */
size_t
filelist_modules(struct filelist *fl, char *const *paths, size_t n, bool all)
{
	size_t *moved = xcalloc(n + 1, sizeof *moved), nmoved = 0, i, k;
	unsigned char *in = NULL;
	size_t nin = 0, joined;
	bool was;

	for (k = 0; k < n; k++) {
		i = join_module(fl, paths[k], &was);
		if (was)
			moved[nmoved++] = i;
		if (all) {
			in = grow_zeroed(in, &nin, i, 1);
			in[i] = 1;
		}
	}
	report_modules(fl, moved, nmoved, true);
	joined = nmoved;
	if (all) {
		free(moved);
		moved = xcalloc(fl->n + 1, sizeof *moved);
		nmoved = 0;
		for (i = 0; i < fl->n; i++)
			if (fl->v[i].by_module && !fl->v[i].idle &&
			    (i >= nin || !in[i])) {
				fl->v[i].idle = true;
				moved[nmoved++] = i;
			}
		report_modules(fl, moved, nmoved, false);
	}
	free(in);
	free(moved);
	return joined;
}

/*
 * Offer path, the file of a module being imported (--auto), to join the
 * list when the thread that watches takes the offers (filelist_take_offers).
 * Safe from any thread. Returns whether it is the first offer since the
 * last take: the watching thread may need waking.
 */
bool
filelist_offer(struct filelist *fl, const char *path)
{
	bool first;

	pthread_mutex_lock(&offering);
	first = fl->noffers == 0;
	if (fl->noffers == fl->capoffers) {
		fl->capoffers = fl->capoffers ? fl->capoffers * 2 : 16;
		fl->offers = xreallocarray(fl->offers, fl->capoffers,
		                           sizeof *fl->offers);
	}
	fl->offers[fl->noffers++] = xstrdup(path);
	pthread_mutex_unlock(&offering);
	return first;
}

/*
 * Join the files offered since the last call, in the thread that watches.
 * Returns how many joined.
 */
size_t
filelist_take_offers(struct filelist *fl)
{
	char **offers;
	size_t n, i, joined;

	pthread_mutex_lock(&offering);
	offers = fl->offers;
	n = fl->noffers;
	if (n > 0) {
		fl->offers = NULL;
		fl->noffers = fl->capoffers = 0;
	}
	pthread_mutex_unlock(&offering);
	if (n == 0)
		return 0;
	joined = filelist_modules(fl, offers, n, false);
	for (i = 0; i < n; i++)
		free(offers[i]);
	free(offers);
	return joined;
}
