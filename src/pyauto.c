/*
 * pyauto.c: --auto, the files of the modules the program imports, which the
 * Python half finds (hotload.auto). A module's file joins the watch as soon
 * as the module is first imported, even while the step that imports it
 * still runs (a server started by the first round): _auto_offer hands it to
 * the list, and wakes the thread that watches, which takes it in. At start
 * and after each round the whole set is taken again, so that the files of
 * modules no longer imported leave it.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <signal.h>

#include "hotload.h"

static struct filelist *offer_to; /* the list _auto_offer adds to */

/* _auto_offer(path): a module is being imported for the first time from the
 * file at path: watch it. */
static PyObject *
auto_offer(PyObject *self, PyObject *arg)
{
	PyObject *bytes;

	(void)self;
	if (offer_to == NULL)
		Py_RETURN_NONE;
	if (!PyUnicode_FSConverter(arg, &bytes))
		return NULL;
	if (filelist_offer(offer_to, PyBytes_AS_STRING(bytes)))
		sig_rewake();
	Py_DECREF(bytes);
	Py_RETURN_NONE;
}

static PyMethodDef offer_def = {
    "_auto_offer", auto_offer, METH_O,
    "_auto_offer(path): watch the file a module is imported from"};

/* A call into the Python half failed: say why, but a Ctrl-C is hotload's. */
static void
failed(void)
{
	if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
		sig_note(SIGINT);
		PyErr_Clear();
		return;
	}
	PyErr_PrintEx(0);
}

/*
 * The paths of seq, a sequence of str (or of None, skipped), into an array
 * of n strings that hold lives in; NULL after a Python error.
 */
static char **
paths_of(PyObject *seq, PyObject **hold, size_t *n)
{
	PyObject *fast = PySequence_Fast(seq, "a list of paths"), *bytes;
	Py_ssize_t i, len;
	char **paths;

	*hold = NULL;
	*n = 0;
	if (fast == NULL)
		return NULL;
	len = PySequence_Fast_GET_SIZE(fast);
	*hold = PyList_New(0);
	paths = xcalloc((size_t)len + 1, sizeof *paths);
	for (i = 0; *hold != NULL && i < len; i++) {
		PyObject *item = PySequence_Fast_GET_ITEM(fast, i);

		bytes = NULL;
		if (item == Py_None)
			continue;
		if (!PyUnicode_FSConverter(item, &bytes) ||
		    PyList_Append(*hold, bytes) != 0) {
			Py_XDECREF(bytes);
			Py_CLEAR(*hold);
			break;
		}
		Py_DECREF(bytes);
		paths[(*n)++] = PyBytes_AS_STRING(bytes);
	}
	Py_DECREF(fast);
	if (*hold == NULL) {
		free(paths);
		return NULL;
	}
	return paths;
}

/*
 * --auto starts: the modules of the --module steps are the roots, and
 * their files, found without importing them, are watched from now on and
 * wait, when gone, until they are back, as a --module's file does.
 */
static void
start(PyObject *mod, struct watch *w, const struct options *o)
{
	PyObject *fn = PyCFunction_New(&offer_def, NULL), *names, *name, *r;
	PyObject *hold = NULL;
	struct filelist *fl = w->files;
	size_t i, n, first = fl->n;
	char **paths = NULL;

	offer_to = fl;
	if (fn == NULL || PyObject_SetAttrString(mod, "_auto_offer", fn) != 0)
		failed();
	Py_XDECREF(fn);
	names = PyList_New(0);
	for (i = 0; names != NULL && i < o->nsteps; i++) {
		if (o->steps[i].kind != STEP_MODULE ||
		    o->steps[i].module == NULL)
			continue;
		name = PyUnicode_FromString(o->steps[i].module);
		if (name == NULL || PyList_Append(names, name) != 0)
			Py_CLEAR(names);
		Py_XDECREF(name);
	}
	/* Each root's file, or None where it cannot be found. */
	r = names ? PyObject_CallMethod(mod, "_auto_start", "O", names) : NULL;
	if (r != NULL)
		paths = paths_of(r, &hold, &n);
	if (paths == NULL) {
		failed();
	} else {
		filelist_modules(fl, paths, n, false);
		for (i = 0; i < n; i++)
			fl->v[filelist_join(fl, paths[i])].wait_back = true;
		watch_join(w, first);
	}
	free(paths);
	Py_XDECREF(hold);
	Py_XDECREF(r);
	Py_XDECREF(names);
}

/*
 * Take the set of files of the modules imported again (the first time,
 * start --auto): files join, and the files no longer imported leave. Called
 * with Python's lock held, at start and after each round.
 */
void
pyauto_update(struct watch *w, const struct options *o)
{
	static bool started;
	PyObject *mod, *r, *hold;
	char **paths;
	size_t n, first;

	if (!o->auto_files || w == NULL)
		return;
	mod = PyImport_ImportModule("hotload");
	if (mod == NULL) {
		failed();
		return;
	}
	if (!started) {
		started = true;
		start(mod, w, o);
	}
	r = PyObject_CallMethod(mod, "_auto_update", NULL);
	if (r == NULL) {
		failed();
	} else if (r != Py_None) {
		paths = paths_of(r, &hold, &n);
		if (paths == NULL) {
			failed();
		} else {
			first = w->files->n;
			filelist_modules(w->files, paths, n, true);
			watch_join(w, first);
		}
		free(paths);
		Py_XDECREF(hold);
	}
	Py_XDECREF(r);
	Py_DECREF(mod);
}
