/*
 * pymodule.c: the "hotload" module. Code running inside the hotload
 * program imports it to learn about the session; a plain python imports it,
 * built as an extension module, for the Python API, whose hotload() runs
 * the same watcher and rounds as the program. Its Python half, src/py, is
 * compiled in.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "hotload.h"
#include "py_sources.h"

/* _is_watched(path): is path one of the watched files? */
static PyObject *
is_watched(PyObject *self, PyObject *arg)
{
	struct filelist *watched = pyrun_files();
	PyObject *bytes;
	bool found;

	(void)self;
	if (arg == Py_None || watched == NULL)
		Py_RETURN_FALSE;
	if (!PyUnicode_FSConverter(arg, &bytes))
		return NULL;
	found = filelist_has(watched, PyBytes_AS_STRING(bytes));
	Py_DECREF(bytes);
	return PyBool_FromLong(found);
}

/* _note_interrupt(): a Ctrl-C, seen by Python's SIGINT handler. */
static PyObject *
note_interrupt(PyObject *self, PyObject *arg)
{
	(void)self;
	(void)arg;
	pyrun_note_interrupt();
	Py_RETURN_NONE;
}

/* _report_failure(part, exc): a part of the running module step failed,
 * and the step goes on: say so. */
static PyObject *
report_failure(PyObject *self, PyObject *args)
{
	const char *part;
	PyObject *exc;

	(void)self;
	if (!PyArg_ParseTuple(args, "sO:_report_failure", &part, &exc))
		return NULL;
	pyrun_report_failure(part, exc);
	Py_RETURN_NONE;
}

/* Add the paths of watch, an iterable of paths or of iterables of them. */
static int
add_watch_paths(struct filelist *fl, PyObject *watch, int depth)
{
	PyObject *it, *item, *bytes;
	int error = 0;

	if (PyUnicode_Check(watch) || PyBytes_Check(watch) ||
	    PyObject_HasAttrString(watch, "__fspath__")) {
		if (!PyUnicode_FSConverter(watch, &bytes))
			return -1;
		filelist_add(fl, PyBytes_AS_STRING(bytes), true);
		Py_DECREF(bytes);
		return 0;
	}
	if (depth > 1) {
		PyErr_Format(PyExc_TypeError,
		             "hotload(): watch holds lists of paths, not %R",
		             watch);
		return -1;
	}
	it = PyObject_GetIter(watch);
	if (it == NULL)
		return -1;
	while ((item = PyIter_Next(it)) != NULL) {
		error = add_watch_paths(fl, item, depth + 1);
		Py_DECREF(item);
		if (error != 0)
			break;
	}
	Py_DECREF(it);
	return PyErr_Occurred() ? -1 : 0;
}

/* Is obj an instance of the class named name in this module? */
static bool
is_a(PyObject *mod, PyObject *obj, const char *name)
{
	PyObject *cls = PyObject_GetAttrString(mod, name);
	int r = cls ? PyObject_IsInstance(obj, cls) : -1;

	Py_XDECREF(cls);
	PyErr_Clear();
	return r == 1;
}

/* Turn the steps of hotload() into the rounds' steps. */
static int
make_steps(PyObject *mod, PyObject *steps, struct options *o)
{
	PyObject *seq = PySequence_Fast(steps, "hotload(): steps is a list"),
	         *cmd, *repr;
	Py_ssize_t i, n;

	if (seq == NULL)
		return -1;
	n = PySequence_Fast_GET_SIZE(seq);
	o->steps = xcalloc((size_t)n, sizeof *o->steps);
	for (i = 0; i < n; i++) {
		PyObject *obj = PySequence_Fast_GET_ITEM(seq, i);
		struct step *s = &o->steps[o->nsteps++];

		Py_INCREF(obj);
		s->obj = obj;
		repr = PyObject_Repr(obj);
		s->label = xstrdup(repr && PyUnicode_Check(repr)
		                       ? PyUnicode_AsUTF8(repr)
		                       : "step");
		Py_XDECREF(repr);
		PyErr_Clear();
		if (is_a(mod, obj, "ClearTerminal")) {
			s->kind = STEP_CLEAR;
		} else if (is_a(mod, obj, "ReloadedPythonModule")) {
			s->kind = STEP_MODULE;
		} else if (is_a(mod, obj, "Command") &&
		           (cmd = PyObject_GetAttrString(obj, "command")) &&
		           PyUnicode_Check(cmd)) {
			s->kind = STEP_RUN;
			s->module = xstrdup(PyUnicode_AsUTF8(cmd));
			s->arg = s->module;
			Py_DECREF(cmd);
		} else if (PyObject_HasAttrString(obj, "run") ||
		           PyCallable_Check(obj)) {
			PyErr_Clear();
			s->kind = STEP_CALL;
		} else {
			PyErr_Format(PyExc_TypeError,
			             "hotload(): %R is not a step: give steps "
			             "with a run() method, or functions",
			             obj);
			Py_DECREF(seq);
			return -1;
		}
	}
	Py_DECREF(seq);
	return 0;
}

static void
free_steps(struct options *o)
{
	size_t i;

	for (i = 0; i < o->nsteps; i++) {
		Py_XDECREF((PyObject *)o->steps[i].obj);
		free(o->steps[i].label);
		free(o->steps[i].module);
	}
	free(o->steps);
}

/*
 * hotload(watch, steps, waittime_ms=1/144): run the steps now and each time
 * one of the watched files changes, until Ctrl-C. As in the tool hotload
 * grew from, waittime_ms is the polling interval in seconds; it matters
 * only where hotload polls.
 */
static PyObject *
api_hotload(PyObject *self, PyObject *args, PyObject *kwargs)
{
	static char *names[] = {"watch", "steps", "waittime_ms", NULL};
	PyObject *watch, *steps, *result = NULL;
	struct options o;
	struct filelist fl;
	struct loop L;
	struct watch *w = NULL;
	enum step_status st;
	double wait = 1.0 / 144;

	if (!PyArg_ParseTupleAndKeywords(args, kwargs, "OO|d:hotload", names,
	                                 &watch, &steps, &wait))
		return NULL;
	if (pyrun_active()) {
		PyErr_SetString(PyExc_RuntimeError,
		                "hotload() is already running");
		return NULL;
	}
	options_init(&o);
	if (wait > 0)
		o.interval_ms = wait * 1000;
	if (filelist_init(&fl, NULL, 0) != 0) {
		PyErr_SetFromErrno(PyExc_OSError);
		goto out;
	}
	if (add_watch_paths(&fl, watch, 0) != 0 ||
	    make_steps(self, steps, &o) != 0)
		goto out;
	filelist_report_rest(&fl);
	if (sig_init(true, false) != 0) {
		PyErr_SetFromErrno(PyExc_OSError);
		goto out;
	}
	w = watch_open(&fl, &o);
	if (w == NULL) {
		PyErr_SetString(PyExc_RuntimeError, "hotload(): cannot watch");
		goto restore;
	}
	if (filelist_stat_all(&fl) == 0) {
		PyErr_SetString(
		    PyExc_ValueError,
		    fl.n ? "hotload(): nothing to watch: none of the "
		           "files in watch exist"
		         : "hotload(): nothing to watch: watch holds "
		           "no files");
		goto restore;
	}
	result = PyObject_CallMethod(self, "_session", "i", sig_wake_fd());
	if (result == NULL)
		goto restore;
	Py_CLEAR(result);
	pyrun_attach(self, &fl);
	loop_init(&L, &o, &fl, w);
	if (loop_first_round(&L) != STEP_INTERRUPTED)
		loop_run(&L, false, &st);
	loop_free(&L);
	command_stop_all(&o);
	hl_msg("stopped");
	pyrun_detach();
	result = PyObject_CallMethod(self, "_session", "i", -1);
restore:
	watch_close(w);
	sig_restore();
out:
	free_steps(&o);
	filelist_free(&fl);
	return result;
}

static PyMethodDef methods[] = {
    {"_is_watched", is_watched, METH_O, "Is the path a watched file?"},
    {"_note_interrupt", note_interrupt, METH_NOARGS,
     "Python's SIGINT handler raises a KeyboardInterrupt for a Ctrl-C."},
    {"_report_failure", report_failure, METH_VARARGS,
     "A part of the running step failed, and the step goes on."},
    {"hotload", (PyCFunction)(void (*)(void))api_hotload,
     METH_VARARGS | METH_KEYWORDS,
     "hotload(watch, steps, waittime_ms=1/144)\n\n"
     "Run the steps now and each time a file in watch changes, until\n"
     "Ctrl-C. watch is a list of lists of paths (as listfiles() gives);\n"
     "steps are ClearTerminal(), ReloadedPythonModule, Command,\n"
     "PythonHandle, ReloadModules or objects with a run() method."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    "hotload",
    "Reload Python modules and run commands whenever files change.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

/*
 * Make the module: the functions above, and the Python half, src/py, from
 * the sources compiled in. hotload.py runs in the module itself; the other
 * files become its submodules, which it imports from _sources.
 */
PyMODINIT_FUNC
PyInit_hotload(void)
{
	const struct py_source *py, *entry = NULL;
	PyObject *m, *dict, *sources, *text, *modules, *code, *r = NULL;
	PyObject *type, *value, *tb;
	int error;

	m = PyModule_Create(&moduledef);
	sources = PyDict_New();
	if (m == NULL || sources == NULL)
		goto out;
	for (py = py_sources; py->name != NULL; py++) {
		if (strcmp(py->name, "hotload") == 0) {
			entry = py;
			continue;
		}
		text = PyUnicode_FromString(py->text);
		error = text == NULL ||
		        PyDict_SetItemString(sources, py->name, text) != 0;
		Py_XDECREF(text);
		if (error)
			goto out;
	}
	if (entry == NULL) {
		PyErr_SetString(PyExc_ImportError, "hotload.py is missing");
		goto out;
	}
	if (PyModule_AddStringConstant(m, "__version__", HOTLOAD_VERSION) != 0)
		goto out;
	dict = PyModule_GetDict(m);
	if (PyDict_SetItemString(dict, "_sources", sources) != 0)
		goto out;
	if (PyDict_GetItemString(dict, "__builtins__") == NULL &&
	    PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) !=
	        0)
		goto out;
	/* Its submodules' imports find the module in sys.modules. */
	modules = PyImport_GetModuleDict();
	if (PyDict_SetItemString(modules, "hotload", m) != 0)
		goto out;
	code = Py_CompileString(entry->text, "<hotload hotload.py>",
	                        Py_file_input);
	if (code != NULL)
		r = PyEval_EvalCode(code, dict, dict);
	Py_XDECREF(code);
	if (r == NULL) {
		PyErr_Fetch(&type, &value, &tb);
		if (PyDict_GetItemString(modules, "hotload") == m)
			PyDict_DelItemString(modules, "hotload");
		PyErr_Restore(type, value, tb);
	}
out:
	Py_XDECREF(sources);
	if (r == NULL)
		Py_CLEAR(m);
	Py_XDECREF(r);
	return m;
}
