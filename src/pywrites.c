/*
 * pywrites.c: the files the Python code of a round wrote. An audit hook
 * (PEP 578) sees each file Python opens for writing, and each one it
 * renames, removes or changes the times or mode of, while a round runs. A
 * watched file that changed while the round ran, and that its code did not
 * write, was saved by someone else: the loop then never takes it for the
 * round's own write. The hook cannot see what a program the code started
 * writes, nor a library written in C, nor a path relative to a directory
 * descriptor: after any of those the round's writes are unknown, and the
 * loop goes by how often a file changed while rounds ran.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

/* More paths than this in one round, and its writes count as unknown. */
#define MAX_PATHS 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static bool tried;     /* to install the hook */
static bool installed; /* and did */
static bool recording; /* a round runs */
static bool unknown;   /* it did what the hook cannot follow */
static char **paths;   /* what it wrote, absolute */
static size_t npaths, cap;

/*
 * Events that change a file, with the positions of their path arguments
 * and of their directory descriptor arguments (bit i: argument i).
 */
static const struct {
	const char *name;
	unsigned paths;
	unsigned dir_fds;
} changing[] = {
    {"os.remove", 1u, 2u},      {"os.rmdir", 1u, 2u},   {"os.mkdir", 1u, 4u},
    {"os.rename", 3u, 12u},     {"os.link", 3u, 12u},   {"os.symlink", 2u, 4u},
    {"os.truncate", 1u, 0u},    {"os.utime", 1u, 8u},   {"os.chmod", 1u, 4u},
    {"os.chown", 1u, 8u},       {"os.chflags", 1u, 0u}, {"os.setxattr", 1u, 0u},
    {"os.removexattr", 1u, 0u},
};

/* Events after which anything may have been written: a program started,
 * a library's own code called, a file mapped or a database opened. */
static const char *const unfollowed[] = {
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.posix_spawn",
    "os.spawn",
    "os.fork",
    "os.forkpty",
    "os.startfile",
    "ctypes.dlopen",
    "ctypes.dlsym",
    "ctypes.dlsym/handle",
    "ctypes.call_function",
    "mmap.__new__",
    "sqlite3.connect",
};

/* The round's writes are unknown from now on. */
static void
lose_track(void)
{
	pthread_mutex_lock(&lock);
	unknown = true;
	pthread_mutex_unlock(&lock);
}

/* obj (a str, bytes or path-like object) as an absolute path, or NULL. */
static char *
absolute(PyObject *obj)
{
	PyObject *path, *bytes = NULL;
	char cwd[4096], *abs = NULL;
	const char *s;

	path = PyOS_FSPath(obj);
	if (path != NULL && PyUnicode_Check(path)) {
		bytes = PyUnicode_EncodeFSDefault(path);
	} else if (path != NULL && PyBytes_Check(path)) {
		bytes = path;
		Py_INCREF(bytes);
	}
	s = bytes != NULL ? PyBytes_AsString(bytes) : NULL;
	if (s != NULL && s[0] == '/')
		abs = path_join_clean("", 0, s);
	else if (s != NULL && getcwd(cwd, sizeof cwd) != NULL)
		abs = path_join_clean(cwd, strlen(cwd), s);
	PyErr_Clear();
	Py_XDECREF(bytes);
	Py_XDECREF(path);
	return abs;
}

/*
 * Note the file obj names as written. A descriptor (an int) makes the
 * round's writes unknown, unless fd_ok: open() of a descriptor, whose file
 * was noted when it was opened by name. No lock is held while Python code
 * runs (a path-like object's __fspath__): another thread may take over.
 */
static void
note(PyObject *obj, bool fd_ok)
{
	char *abs;

	if (PyLong_Check(obj)) {
		if (!fd_ok)
			lose_track();
		return;
	}
	abs = absolute(obj);
	pthread_mutex_lock(&lock);
	if (!recording) {
		free(abs);
	} else if (abs == NULL || npaths >= MAX_PATHS) {
		free(abs);
		unknown = true;
	} else {
		if (npaths == cap) {
			cap = cap ? cap * 2 : 16;
			paths = xreallocarray(paths, cap, sizeof *paths);
		}
		paths[npaths++] = abs;
	}
	pthread_mutex_unlock(&lock);
}

/* Does open's mode (a str) or, without one (os.open), its flags write? */
static bool
opens_for_writing(PyObject *args)
{
	PyObject *mode = PyTuple_GET_ITEM(args, 1);
	PyObject *flags = PyTuple_GET_ITEM(args, 2);
	const char *m;
	long f;

	if (PyUnicode_Check(mode)) {
		m = PyUnicode_AsUTF8(mode);
		if (m == NULL) {
			PyErr_Clear();
			return true;
		}
		return strpbrk(m, "wax+") != NULL;
	}
	f = PyLong_Check(flags) ? PyLong_AsLong(flags) : -1;
	if (f == -1 && PyErr_Occurred())
		PyErr_Clear();
	return f == -1 || (f & O_ACCMODE) != O_RDONLY || (f & O_TRUNC) != 0;
}

/* A directory descriptor argument that is given (not None, not -1). */
static bool
has_dir_fd(PyObject *args, unsigned positions)
{
	Py_ssize_t i, n = PyTuple_GET_SIZE(args);
	PyObject *a;

	for (i = 0; i < n && i < 32; i++) {
		if (!(positions & (1u << i)))
			continue;
		a = PyTuple_GET_ITEM(args, i);
		if (a != Py_None &&
		    !(PyLong_Check(a) && PyLong_AsLong(a) == -1)) {
			PyErr_Clear();
			return true;
		}
	}
	PyErr_Clear();
	return false;
}

static int
hook(const char *event, PyObject *args, void *unused)
{
	Py_ssize_t i, n;
	size_t k;

	(void)unused;
	if (!recording || unknown || !PyTuple_Check(args))
		return 0;
	n = PyTuple_GET_SIZE(args);
	if (strcmp(event, "open") == 0) {
		if (n >= 3 && opens_for_writing(args))
			note(PyTuple_GET_ITEM(args, 0), true);
		return 0;
	}
	if (strncmp(event, "os.", 3) != 0 &&
	    strncmp(event, "subprocess.", 11) != 0 &&
	    strncmp(event, "ctypes.", 7) != 0 &&
	    strncmp(event, "mmap.", 5) != 0 &&
	    strncmp(event, "sqlite3.", 8) != 0)
		return 0;
	for (k = 0; k < sizeof unfollowed / sizeof *unfollowed; k++)
		if (strcmp(event, unfollowed[k]) == 0) {
			lose_track();
			return 0;
		}
	for (k = 0; k < sizeof changing / sizeof *changing; k++) {
		if (strcmp(event, changing[k].name) != 0)
			continue;
		if (has_dir_fd(args, changing[k].dir_fds)) {
			lose_track();
			return 0;
		}
		for (i = 0; i < n && i < 32; i++)
			if (changing[k].paths & (1u << i))
				note(PyTuple_GET_ITEM(args, i), false);
		return 0;
	}
	return 0;
}

static void
forget(void)
{
	size_t i;

	for (i = 0; i < npaths; i++)
		free(paths[i]);
	npaths = 0;
	unknown = false;
}

/* A round starts: note what its Python code writes from now on. */
void
pywrites_begin(void)
{
	if (!tried) {
		tried = true;
		installed = PySys_AddAuditHook(hook, NULL) == 0;
		PyErr_Clear();
	}
	if (!installed)
		return;
	pthread_mutex_lock(&lock);
	forget();
	recording = true;
	pthread_mutex_unlock(&lock);
}

/*
 * The round's steps are over: stop noting writes, and set the wrote flag of
 * each file of chg to whether the round's Python code wrote it. Returns
 * false, setting nothing, if it may have written files the hook did not
 * see.
 */
bool
pywrites_end(struct filelist *fl, const struct changes *chg)
{
	struct stat sb;
	bool known;
	size_t i, j;

	pthread_mutex_lock(&lock);
	known = recording && !unknown && installed;
	recording = false;
	for (j = 0; known && j < chg->n; j++)
		fl->v[chg->idx[j]].wrote = false;
	for (i = 0; known && i < npaths; i++) {
		j = strmap_get(&fl->index, paths[i]);
		if (j != STRMAP_NONE) {
			fl->v[j].wrote = true;
			continue;
		}
		/* Written through a link, or under another name. */
		if (stat(paths[i], &sb) != 0)
			continue;
		for (j = 0; j < chg->n; j++) {
			struct entry *e = &fl->v[chg->idx[j]];

			if (e->st.exists && e->st.dev == sb.st_dev &&
			    e->st.ino == sb.st_ino)
				e->wrote = true;
		}
	}
	forget();
	pthread_mutex_unlock(&lock);
	return known;
}
