/*
 * ignore.c: what walking a directory leaves out. The rules come from
 * gitignore(5) files (.gitignore at every level of a git work tree, the
 * tree's info/exclude and the user's global excludes file), from .ignore
 * files (the same syntax, inside git or not), from --ignore patterns, and
 * from a few rules of hotload's own. Patterns are matched as git matches
 * them: '*', '?' and classes stop at a slash, "**" between slashes spans
 * directories, a later line beats an earlier one and a deeper file beats
 * the files above it.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

#define RULE_NEGATE 1  /* "!pattern": keeps what it matches */
#define RULE_DIR 2     /* "pattern/": matches directories only */
#define RULE_PATH 4    /* has a slash: matched against the path from base */
#define RULE_LITERAL 8 /* no wildcard at all */
#define RULE_SUFFIX 16 /* '*' and then no wildcard: the name's ending */

struct rule {
	const char *pat; /* without '!', the leading and the trailing slash */
	size_t len;
	size_t prefix; /* how many leading bytes hold no wildcard */
	unsigned flags;
	char last; /* the byte a matching text must end with, or 0 */
};

/* The path that rules are asked about. */
struct subject {
	const char *path; /* absolute and clean */
	size_t len;
	const char *name; /* its last component */
	size_t namelen;
	bool is_dir;
};

/* The rules of one file (or of --ignore), and what they left out. */
struct rules {
	struct rule *v;
	size_t n;
	char *text;   /* the file's text, which the patterns point into */
	char *source; /* the file's path, or a name such as "--ignore" */
	size_t nfiles;
	size_t ndirs;
};

/* The rules that a directory holds; one per directory looked at. */
struct ignore_dir {
	char *path;
	size_t len;
	struct ignore_dir *parent;
	struct ignore_dir *top; /* the git work tree it is in, or NULL */
	struct rules *git;      /* its .gitignore, when in a work tree */
	struct rules *dot;      /* its .ignore */
	struct rules *exclude;  /* a top's info/exclude */
};

struct ignore {
	char *cwd;
	size_t cwdlen;
	bool off;             /* --no-ignore */
	struct rules *extra;  /* --ignore patterns, from cwd */
	struct rules *global; /* git's global excludes file */
	bool global_read;
	struct rules builtin; /* counts only: hotload's own rules */
	struct rules **all;   /* every rules read, in the order read */
	size_t nall;
	struct strmap index; /* path -> position in dirs */
	struct ignore_dir **dirs;
	size_t ndirs;
	size_t capdirs;
};

/* Is c one of the characters that make a pattern a wildcard? */
static bool
is_special(char c)
{
	return c == '*' || c == '?' || c == '[' || c == '\\';
}

/* How many leading bytes of s hold no wildcard. */
static size_t
plain_length(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0' && !is_special(s[n]))
		n++;
	return n;
}

/*
 * Drop the spaces that end line, except one escaped with a backslash; a
 * line ending in a lone backslash is left alone.
 */
static void
trim_spaces(char *line)
{
	char *p, *space = NULL;

	for (p = line; *p != '\0'; p++) {
		if (*p == ' ') {
			if (space == NULL)
				space = p;
			continue;
		}
		if (*p == '\\' && *++p == '\0')
			return;
		space = NULL;
	}
	if (space != NULL)
		*space = '\0';
}

/* Does s end in a backslash that escapes nothing? */
static bool
dangling_backslash(const char *s, size_t len)
{
	size_t n = 0;

	while (n < len && s[len - 1 - n] == '\\')
		n++;
	return n % 2 == 1;
}

/* Add the pattern on line (changed in place, and kept) to r. */
static void
rules_add(struct rules *r, char *line)
{
	struct rule *u;
	unsigned flags = 0;
	size_t len;

	if (line[0] == '#' || line[0] == '\0')
		return;
	trim_spaces(line);
	if (line[0] == '!') {
		flags |= RULE_NEGATE;
		line++;
	}
	len = strlen(line);
	if (len > 0 && line[len - 1] == '/') {
		flags |= RULE_DIR;
		line[--len] = '\0';
	}
	if (memchr(line, '/', len) != NULL) {
		flags |= RULE_PATH;
		if (line[0] == '/') {
			line++;
			len--;
		}
	}
	/* An empty pattern, or one ending in a lone '\', matches nothing. */
	if (len == 0 || dangling_backslash(line, len))
		return;
	r->v = xreallocarray(r->v, r->n + 1, sizeof *r->v);
	u = &r->v[r->n++];
	u->pat = line;
	u->len = len;
	u->prefix = plain_length(line);
	if (u->prefix == len)
		flags |= RULE_LITERAL;
	else if (line[0] == '*' && plain_length(line + 1) == len - 1 &&
	         !(flags & RULE_PATH))
		flags |= RULE_SUFFIX;
	u->flags = flags;
	/*
	 * A last byte that is no wildcard must end the text: a quick test. Not
	 * a slash, which can follow a double star that matches nothing.
	 */
	u->last = strchr("*?]\\/", line[len - 1]) ? 0 : line[len - 1];
}

/* Make the rules of text (which they keep), named source. */
static struct rules *
rules_new(struct ignore *ig, char *text, const char *source)
{
	struct rules *r = xcalloc(1, sizeof *r);
	char *line = text, *nl;

	r->text = text;
	r->source = xstrdup(source);
	/* A byte order mark at the start is not part of the first pattern. */
	if (strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	for (; line != NULL; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl != NULL) {
			*nl = '\0';
			if (nl > line && nl[-1] == '\r')
				nl[-1] = '\0';
		}
		rules_add(r, line);
	}
	ig->all = xreallocarray(ig->all, ig->nall + 1, sizeof *ig->all);
	ig->all[ig->nall++] = r;
	return r;
}

/* The text of the regular file path, or NULL. */
static char *
read_text(const char *path)
{
	struct stat sb;
	char *text = NULL;
	size_t len = 0;
	ssize_t got;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd == -1)
		return NULL;
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
	    sb.st_size > 16 * 1024 * 1024) {
		close(fd);
		return NULL;
	}
	text = xmalloc((size_t)sb.st_size + 1);
	while (len < (size_t)sb.st_size) {
		got = read(fd, text + len, (size_t)sb.st_size - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		len += (size_t)got;
	}
	close(fd);
	text[len] = '\0';
	return text;
}

/* The path of name in the directory dir, allocated. */
static char *
join(const char *dir, const char *name)
{
	char *path = xmalloc(strlen(dir) + strlen(name) + 2);

	sprintf(path, "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", name);
	return path;
}

/* The rules of the file dir/name, or NULL if there is no such file. */
static struct rules *
rules_read(struct ignore *ig, const char *dir, const char *name)
{
	char *path = join(dir, name), *text;
	struct rules *r = NULL;

	text = read_text(path);
	if (text != NULL)
		r = rules_new(ig, text, path);
	free(path);
	return r;
}

static void
rules_free(struct rules *r)
{
	if (r == NULL)
		return;
	free(r->v);
	free(r->text);
	free(r->source);
	free(r);
}

/* Is c in the POSIX class name (of len bytes), in the C locale? */
static int
in_class(const char *name, size_t len, unsigned char c)
{
	static const char *const names[] = {
	    "alnum", "alpha", "blank", "cntrl", "digit", "graph",
	    "lower", "print", "punct", "space", "upper", "xdigit",
	};
	bool lower = c >= 'a' && c <= 'z', upper = c >= 'A' && c <= 'Z';
	bool digit = c >= '0' && c <= '9', graph = c > 0x20 && c < 0x7f;
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i]) == len && memcmp(names[i], name, len) == 0)
			break;
	switch (i) {
	case 0:
		return lower || upper || digit;
	case 1:
		return lower || upper;
	case 2:
		return c == ' ' || c == '\t';
	case 3:
		return c < 0x20 || c == 0x7f;
	case 4:
		return digit;
	case 5:
		return graph;
	case 6:
		return lower;
	case 7:
		return graph || c == ' ';
	case 8:
		return graph && !lower && !upper && !digit;
	case 9:
		return c == ' ' || (c >= '\t' && c <= '\r');
	case 10:
		return upper;
	case 11:
		return digit || (c >= 'a' && c <= 'f') ||
		       (c >= 'A' && c <= 'F');
	}
	return -1; /* not a class: the pattern is malformed */
}

/* What matching a pattern against a text found. */
enum wild {
	WILD_MATCH,
	WILD_NO,       /* no match here; another split may match */
	WILD_NO_SLASH, /* no match before the next slash either */
	WILD_NEVER,    /* no match at all, whatever the stars before took */
};

/*
 * Match the class that starts at *pp (after its '[') against c, leaving
 * *pp after the class. Returns 1 on a match, 0 if not, -1 if the class is
 * malformed (no closing bracket, an unknown [:name:]).
 */
static int
match_class(const char **pp, unsigned char c)
{
	const char *p = *pp, *end;
	bool negate = false, found = false;
	unsigned char prev = 0, lo, hi;
	int in;

	if (*p == '!' || *p == '^') {
		negate = true;
		p++;
	}
	/* A ']' first in the class is a plain character. */
	for (bool first = true;; first = false, p++) {
		if (*p == '\0')
			return -1;
		if (*p == ']' && !first)
			break;
		if (*p == '\\') {
			if (*++p == '\0')
				return -1;
			found |= (unsigned char)*p == c;
			prev = (unsigned char)*p;
		} else if (*p == '-' && prev != 0 && p[1] != ']' &&
		           p[1] != '\0') {
			lo = prev;
			hi = (unsigned char)*++p;
			if (hi == '\\' && (hi = (unsigned char)*++p) == '\0')
				return -1;
			found |= c >= lo && c <= hi;
			prev = 0;
		} else if (*p == '[' && p[1] == ':' &&
		           (end = strchr(p + 2, ']')) != NULL &&
		           end[-1] == ':' && end - 1 > p + 1) {
			in = in_class(p + 2, (size_t)(end - 1 - (p + 2)), c);
			if (in < 0)
				return -1;
			found |= in == 1;
			p = end;
			prev = 0;
		} else {
			if (*p == '[' && p[1] == ':' &&
			    strchr(p + 2, ']') == NULL)
				return -1;
			found |= (unsigned char)*p == c;
			prev = (unsigned char)*p;
		}
	}
	*pp = p + 1;
	return found != negate && c != '/';
}

/*
 * Match pattern p against text t, as gitignore(5) says: '*' and '?' do not
 * match a slash; "**" that fills a whole component matches any number of
 * them ("a/ ** /b" also matches "a/b", without the spaces).
 */
static enum wild
wild(const char *p, const char *pstart, const char *t)
{
	const char *stars;
	enum wild got;
	bool any;
	int in;

	for (; *p != '\0'; p++, t++) {
		if (*t == '\0' && *p != '*')
			return WILD_NEVER;
		switch (*p) {
		case '\\':
			if (*++p == '\0')
				return WILD_NEVER;
			if (*p != *t)
				return WILD_NO;
			break;
		case '?':
			if (*t == '/')
				return WILD_NO;
			break;
		case '[':
			p++;
			in = match_class(&p, (unsigned char)*t);
			if (in < 0)
				return WILD_NEVER;
			if (in == 0)
				return WILD_NO;
			p--; /* the loop steps past the class's ']' */
			break;
		case '*':
			stars = p;
			while (p[1] == '*')
				p++;
			/* "**" spans slashes when it fills a component. */
			any = p > stars &&
			      (stars == pstart || stars[-1] == '/') &&
			      (p[1] == '\0' || p[1] == '/' ||
			       (p[1] == '\\' && p[2] == '/'));
			p++;
			if (any && *p == '/' &&
			    wild(p + 1, pstart, t) == WILD_MATCH)
				return WILD_MATCH;
			if (*p == '\0')
				return any || strchr(t, '/') == NULL
				           ? WILD_MATCH
				           : WILD_NO_SLASH;
			for (;; t++) {
				got = wild(p, pstart, t);
				if (got != WILD_NO &&
				    (got != WILD_NO_SLASH || !any))
					return got;
				if (*t == '\0')
					return WILD_NEVER;
				if (*t == '/' && !any)
					return WILD_NO_SLASH;
			}
		default:
			if (*p != *t)
				return WILD_NO;
		}
	}
	return *t == '\0' ? WILD_MATCH : WILD_NO;
}

/* Does the gitignore(5) pattern match text (a path from the base)? */
bool
ignore_glob(const char *pattern, const char *text)
{
	return wild(pattern, pattern, text) == WILD_MATCH;
}

/*
 * Does rule u match s? rel is s's path from the rules' base (n bytes), or
 * NULL when s is not below it.
 */
static bool
rule_matches(const struct rule *u, const char *rel, size_t n,
             const struct subject *s)
{
	const char *text = rel;

	if ((u->flags & RULE_DIR) && !s->is_dir)
		return false;
	if (!(u->flags & RULE_PATH)) {
		text = s->name;
		n = s->namelen;
	} else if (rel == NULL) {
		return false;
	}
	if (u->last != 0 && text[n - 1] != u->last)
		return false;
	if (u->flags & RULE_LITERAL)
		return n == u->len && memcmp(text, u->pat, n) == 0;
	if (u->flags & RULE_SUFFIX)
		return n >= u->len - 1 && memcmp(text + n - (u->len - 1),
		                                 u->pat + 1, u->len - 1) == 0;
	if (!(u->flags & RULE_PATH))
		return wild(u->pat, u->pat, text) == WILD_MATCH;
	/* The wildcard-free start is compared as it is, as git does. */
	if (strncmp(text, u->pat, u->prefix) != 0)
		return false;
	return wild(u->pat + u->prefix, u->pat + u->prefix, text + u->prefix) ==
	       WILD_MATCH;
}

/*
 * Look for the last rule of r that matches s, with paths taken from base
 * (of baselen bytes). Returns 1 if it leaves s out, 0 if it keeps it (a '!'
 * rule), -1 if no rule matches.
 */
static int
rules_decide(struct rules *r, const char *base, size_t baselen,
             const struct subject *s)
{
	const char *rel = NULL;
	size_t i, n = 0;

	if (r == NULL || r->n == 0)
		return -1;
	if (baselen == 1)
		rel = s->path + 1;
	else if (strncmp(s->path, base, baselen) == 0 &&
	         s->path[baselen] == '/')
		rel = s->path + baselen + 1;
	if (rel != NULL)
		n = s->len - (size_t)(rel - s->path);
	for (i = r->n; i-- > 0;) {
		const struct rule *u = &r->v[i];

		if (rule_matches(u, rel, n, s)) {
			if (u->flags & RULE_NEGATE)
				return 0;
			if (s->is_dir)
				r->ndirs++;
			else
				r->nfiles++;
			return 1;
		}
	}
	return -1;
}

/*
 * The path of the global excludes file: core.excludesFile of the user's
 * git configuration, else git's default. Returns it allocated, or NULL.
 */
static char *global_excludes_path(void);

/* The rules that hold for every work tree: git's global excludes file. */
static struct rules *
global_rules(struct ignore *ig)
{
	char *path, *text;

	if (!ig->global_read) {
		ig->global_read = true;
		path = global_excludes_path();
		if (path != NULL && (text = read_text(path)) != NULL)
			ig->global = rules_new(ig, text, path);
		free(path);
	}
	return ig->global;
}

/* Does the file name ends in suffix? */
static bool
ends_with(const char *name, size_t n, const char *suffix)
{
	size_t s = strlen(suffix);

	return n >= s && memcmp(name + n - s, suffix, s) == 0;
}

/*
 * hotload's own rules, below every file's: compiled Python, editors' swap
 * and backup files, node_modules and virtual environments.
 */
static bool
builtin_decide(const struct subject *s)
{
	const char *name = s->name;
	size_t n = s->namelen;
	char *cfg;
	bool venv;

	if (ends_with(name, n, ".pyc") || ends_with(name, n, ".swp") ||
	    ends_with(name, n, ".swo") || name[n - 1] == '~' ||
	    (n >= 2 && name[0] == '#' && name[n - 1] == '#'))
		return true;
	if (!s->is_dir)
		return false;
	if (strcmp(name, "node_modules") == 0)
		return true;
	cfg = join(s->path, "pyvenv.cfg");
	venv = access(cfg, F_OK) == 0;
	free(cfg);
	return venv;
}

/* Is name always left out of directories, even with --no-ignore? */
bool
ignore_hidden(const char *name)
{
	return name[0] == '.' || strcmp(name, "__pycache__") == 0;
}

/*
 * Is path, whose directory is d, left out? d is from ignore_at (NULL with
 * --no-ignore); is_dir says whether path is a directory. What leaves it
 * out is counted.
 */
bool
ignore_test(struct ignore *ig, struct ignore_dir *d, const char *path,
            bool is_dir)
{
	const char *slash = strrchr(path, '/');
	struct ignore_dir *x, *top = d ? d->top : NULL;
	bool in_tree = top != NULL;
	struct subject s;
	int got;

	s.path = path;
	s.len = strlen(path);
	s.name = slash ? slash + 1 : path;
	s.namelen = s.len - (size_t)(s.name - path);
	s.is_dir = is_dir;
	if (s.namelen == 0 || ignore_hidden(s.name))
		return true;
	got = rules_decide(ig->extra, ig->cwd, ig->cwdlen, &s);
	if (got >= 0)
		return got;
	if (ig->off)
		return false;
	/* The deepest directory's files first; .ignore before .gitignore. */
	for (x = d; x != NULL; x = x->parent) {
		got = rules_decide(x->dot, x->path, x->len, &s);
		if (got < 0 && in_tree)
			got = rules_decide(x->git, x->path, x->len, &s);
		if (got >= 0)
			return got;
		if (x == top)
			in_tree = false;
	}
	if (top != NULL) {
		got = rules_decide(top->exclude, top->path, top->len, &s);
		if (got < 0)
			got = rules_decide(global_rules(ig), top->path,
			                   top->len, &s);
		if (got >= 0)
			return got;
	}
	if (!builtin_decide(&s))
		return false;
	if (is_dir)
		ig->builtin.ndirs++;
	else
		ig->builtin.nfiles++;
	return true;
}

/*
 * The directory that holds the repository of the work tree dir, whose .git
 * is a file ("gitdir: PATH", as in worktrees and submodules); or NULL.
 */
static char *
linked_git_dir(const char *dir, const char *dotgit)
{
	char *text = read_text(dotgit), *p, *end, *out = NULL;

	if (text == NULL)
		return NULL;
	if (strncmp(text, "gitdir:", 7) == 0) {
		for (p = text + 7; *p == ' ' || *p == '\t'; p++)
			;
		end = p + strcspn(p, "\r\n");
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		*end = '\0';
		if (*p == '/') {
			out = xstrdup(p);
		} else if (*p != '\0') {
			out = xmalloc(strlen(dir) + strlen(p) + 2);
			sprintf(out, "%s/%s", dir, p);
		}
	}
	free(text);
	return out;
}

/*
 * Read the info/exclude of the repository of the work tree top. A linked
 * worktree's repository shares it with the main one (its "commondir").
 */
static struct rules *
read_exclude(struct ignore *ig, const char *top)
{
	char *dotgit = join(top, ".git"), *gitdir, *common, *dir;
	struct rules *r;
	struct stat sb;

	if (stat(dotgit, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		gitdir = dotgit;
	} else {
		gitdir = linked_git_dir(top, dotgit);
		free(dotgit);
		if (gitdir == NULL)
			return NULL;
	}
	dir = join(gitdir, "commondir");
	common = read_text(dir);
	free(dir);
	if (common != NULL) {
		common[strcspn(common, "\r\n")] = '\0';
		dir = common[0] == '/' ? xstrdup(common) : join(gitdir, common);
		free(common);
	} else {
		dir = xstrdup(gitdir);
	}
	r = rules_read(ig, dir, "info/exclude");
	free(dir);
	free(gitdir);
	return r;
}

/*
 * What name, in a directory being read, tells ignore_enter: IGNORE_DOTGIT
 * for ".git", and so on; 0 for any other name.
 */
unsigned
ignore_mark(const char *name)
{
	if (name[0] != '.')
		return 0;
	if (strcmp(name, ".git") == 0)
		return IGNORE_DOTGIT;
	if (strcmp(name, ".gitignore") == 0)
		return IGNORE_GITIGNORE;
	if (strcmp(name, ".ignore") == 0)
		return IGNORE_DOTIGNORE;
	return 0;
}

/* Make the rules of directory path (absolute and clean), and its parents'. */
struct ignore_dir *
ignore_at(struct ignore *ig, const char *path)
{
	return ignore_enter(ig, path, 0);
}

/*
 * The same, for a directory whose names were just read: marks has
 * IGNORE_LISTED and the ignore_mark of each of its names, which saves
 * looking for files that are not there.
 */
struct ignore_dir *
ignore_enter(struct ignore *ig, const char *path, unsigned marks)
{
	struct ignore_dir *d, *parent = NULL;
	size_t i = strmap_get(&ig->index, path);
	struct stat sb;
	char *dotgit, *up, *slash;
	bool listed = marks & IGNORE_LISTED;

	if (ig->off)
		return NULL;
	if (i != STRMAP_NONE)
		return ig->dirs[i];
	if (strcmp(path, "/") != 0) {
		up = xstrdup(path);
		slash = strrchr(up, '/');
		if (slash == up)
			slash++;
		*slash = '\0';
		parent = ignore_at(ig, up);
		free(up);
	}
	d = xcalloc(1, sizeof *d);
	d->path = xstrdup(path);
	d->len = strlen(path);
	d->parent = parent;
	/* A .git directory, or a .git file (a worktree), starts a tree. */
	dotgit = join(path, ".git");
	if (listed ? (marks & IGNORE_DOTGIT) : lstat(dotgit, &sb) == 0) {
		d->top = d;
		d->exclude = read_exclude(ig, path);
	} else if (parent != NULL) {
		d->top = parent->top;
	}
	free(dotgit);
	if (d->top != NULL && (!listed || (marks & IGNORE_GITIGNORE)))
		d->git = rules_read(ig, path, ".gitignore");
	if (!listed || (marks & IGNORE_DOTIGNORE))
		d->dot = rules_read(ig, path, ".ignore");
	if (ig->ndirs == ig->capdirs) {
		ig->capdirs = ig->capdirs ? ig->capdirs * 2 : 16;
		ig->dirs =
		    xreallocarray(ig->dirs, ig->capdirs, sizeof *ig->dirs);
	}
	ig->dirs[ig->ndirs] = d;
	strmap_put(&ig->index, d->path, ig->ndirs++);
	return d;
}

/* The rules of a walk from the directory cwd (absolute and clean). */
struct ignore *
ignore_new(const char *cwd)
{
	struct ignore *ig = xcalloc(1, sizeof *ig);

	ig->cwd = xstrdup(cwd);
	ig->cwdlen = strlen(cwd);
	ig->builtin.source = xstrdup("built-in rules");
	return ig;
}

/*
 * Add the --ignore patterns (gitignore(5) lines, from the current
 * directory); off (--no-ignore) drops every other rule but the one for
 * hidden names and __pycache__. Called once, before any walk.
 */
void
ignore_configure(struct ignore *ig, char *const *patterns, size_t n, bool off)
{
	size_t i, len = 0;
	char *text;

	ig->off = off;
	if (n == 0)
		return;
	for (i = 0; i < n; i++)
		len += strlen(patterns[i]) + 1;
	text = xmalloc(len + 1);
	text[0] = '\0';
	for (i = 0, len = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "%s\n", patterns[i]);
	ig->extra = rules_new(ig, text, "--ignore");
}

void
ignore_free(struct ignore *ig)
{
	size_t i;

	if (ig == NULL)
		return;
	for (i = 0; i < ig->nall; i++)
		rules_free(ig->all[i]);
	for (i = 0; i < ig->ndirs; i++) {
		free(ig->dirs[i]->path);
		free(ig->dirs[i]);
	}
	free(ig->all);
	free(ig->dirs);
	free(ig->cwd);
	free(ig->builtin.source);
	strmap_free(&ig->index);
	free(ig);
}

/*
 * What the i-th source of rules left out so far: its name (a path, or a
 * name such as "--ignore" or "built-in rules"), and how many files and
 * directories. Returns false past the last source.
 */
bool
ignore_tally(const struct ignore *ig, size_t i, const char **source,
             size_t *files, size_t *dirs)
{
	const struct rules *r;

	if (i > ig->nall)
		return false;
	r = i < ig->nall ? ig->all[i] : &ig->builtin;
	*source = r->source;
	*files = r->nfiles;
	*dirs = r->ndirs;
	return true;
}

/* Forget the counts, once they are reported. */
void
ignore_tally_clear(struct ignore *ig)
{
	size_t i;

	for (i = 0; i < ig->nall; i++)
		ig->all[i]->nfiles = ig->all[i]->ndirs = 0;
	ig->builtin.nfiles = ig->builtin.ndirs = 0;
}

/* Is s, a key of git's configuration, the name of the option want? */
static bool
key_is(const char *s, size_t len, const char *want)
{
	return strlen(want) == len && strncasecmp(s, want, len) == 0;
}

/*
 * The value of core.excludesFile in the git configuration file path, into
 * *out (replacing what it held); a value given twice, the last one. Quotes
 * and backslash escapes are undone; include directives are not followed.
 */
static void
config_excludes(const char *path, char **out)
{
	char *text = read_text(path), *line, *nl, *p, *v, *w;
	bool core = false, quoted;
	size_t klen;

	if (text == NULL)
		return;
	for (line = text; line != NULL; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		for (p = line; *p == ' ' || *p == '\t'; p++)
			;
		if (*p == '[') {
			klen = strcspn(p + 1, "] \t\".");
			core =
			    key_is(p + 1, klen, "core") && p[1 + klen] == ']';
			continue;
		}
		klen = strcspn(p, " \t=");
		if (!core || !key_is(p, klen, "excludesfile"))
			continue;
		for (v = p + klen; *v == ' ' || *v == '\t'; v++)
			;
		if (*v++ != '=')
			continue;
		while (*v == ' ' || *v == '\t')
			v++;
		/* Undo quoting; a '#' or ';' outside quotes starts a comment.
		 */
		quoted = false;
		for (w = p = v; *p != '\0' && *p != '\r'; p++) {
			if (*p == '"') {
				quoted = !quoted;
			} else if (!quoted && (*p == '#' || *p == ';')) {
				break;
			} else if (*p == '\\' && p[1] != '\0') {
				p++;
				*w++ = *p == 't' ? '\t' : *p == 'n' ? '\n' : *p;
			} else {
				*w++ = *p;
			}
		}
		while (w > v && (w[-1] == ' ' || w[-1] == '\t'))
			w--;
		*w = '\0';
		free(*out);
		*out = *v != '\0' ? xstrdup(v) : NULL;
	}
	free(text);
}

/* The value of the environment variable name, or NULL if empty or unset. */
static const char *
env_path(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *
global_excludes_path(void)
{
	const char *home = env_path("HOME"), *xdg = env_path("XDG_CONFIG_HOME");
	char *path = NULL, *file, *out;

	/* git reads $XDG_CONFIG_HOME/git/config, then ~/.gitconfig. */
	if (xdg != NULL)
		file = join(xdg, "git/config");
	else if (home != NULL)
		file = join(home, ".config/git/config");
	else
		file = NULL;
	if (file != NULL)
		config_excludes(file, &path);
	free(file);
	if (home != NULL) {
		file = join(home, ".gitconfig");
		config_excludes(file, &path);
		free(file);
	}
	if (path != NULL && strncmp(path, "~/", 2) == 0) {
		out = home != NULL ? join(home, path + 2) : NULL;
		free(path);
		return out;
	}
	if (path != NULL)
		return path;
	if (xdg != NULL)
		return join(xdg, "git/ignore");
	return home != NULL ? join(home, ".config/git/ignore") : NULL;
}
