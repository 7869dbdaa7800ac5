/*
 * pymodule.c: the "hotload" module that code running inside hotload can
 * import. Its Python half, boot.py, is compiled into the binary.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "hotload.h"
#include "boot_py.h"

static const struct filelist *watched;

/* Tell the module which files are watched. */
void
pymodule_set_files(const struct filelist *fl)
{
	watched = fl;
}

/* _is_watched(path): is path one of the watched files? */
static PyObject *
is_watched(PyObject *self, PyObject *arg)
{
	PyObject *bytes;
	bool found = false;

	(void)self;
	if (arg == Py_None || watched == NULL)
		Py_RETURN_FALSE;
	if (!PyUnicode_FSConverter(arg, &bytes))
		return NULL;
	found = strmap_get(&watched->index, PyBytes_AS_STRING(bytes)) !=
		STRMAP_NONE;
	Py_DECREF(bytes);
	return PyBool_FromLong(found);
}

static PyMethodDef methods[] = {
    {"_is_watched", is_watched, METH_O, "Is the path a watched file?"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT,
    "hotload",
    "The running hotload: what it watches and reloads.",
    -1,
    methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC
PyInit_hotload(void)
{
	PyObject *m, *code, *dict, *r;

	m = PyModule_Create(&moduledef);
	if (m == NULL)
		return NULL;
	Py_INCREF(Py_True);
	if (PyModule_AddObject(m, "running", Py_True) != 0) {
		Py_DECREF(Py_True);
		goto fail;
	}
	dict = PyModule_GetDict(m);
	if (PyDict_GetItemString(dict, "__builtins__") == NULL &&
	    PyDict_SetItemString(dict, "__builtins__", PyEval_GetBuiltins()) != 0)
		goto fail;
	code = Py_CompileString(boot_py, "<hotload boot.py>", Py_file_input);
	if (code == NULL)
		goto fail;
	r = PyEval_EvalCode(code, dict, dict);
	Py_DECREF(code);
	if (r == NULL)
		goto fail;
	Py_DECREF(r);
	return m;
fail:
	Py_DECREF(m);
	return NULL;
}
