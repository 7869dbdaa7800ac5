/*
 * pyhost.c: the embedded interpreter. It is started once and kept for the
 * whole session; each round imports or reloads the --module steps in it.
 * While hotload waits, the interpreter's lock is released, so threads the
 * user's code started keep running.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "hotload.h"

PyMODINIT_FUNC PyInit_hotload(void);
void pymodule_set_files(const struct filelist *);

static bool active;
static PyThreadState *waiting; /* set while the lock is released */
static PyObject *invalidate_caches;
static pid_t main_pid;
static int start_dir = -1;

bool
pyhost_active(void)
{
	return active;
}

/* Return the exception being raised as an object, clearing it. */
static PyObject *
take_exception(void)
{
#if PY_VERSION_HEX >= 0x030C0000
	return PyErr_GetRaisedException();
#else
	PyObject *type, *value, *tb;

	PyErr_Fetch(&type, &value, &tb);
	PyErr_NormalizeException(&type, &value, &tb);
	if (value != NULL && tb != NULL)
		PyException_SetTraceback(value, tb);
	Py_XDECREF(type);
	Py_XDECREF(tb);
	return value;
#endif
}

/* Print str(obj) and a newline to sys.stderr. */
static void
print_to_stderr(PyObject *obj)
{
	PyObject *err = PySys_GetObject("stderr");

	if (err == NULL || err == Py_None ||
	    PyFile_WriteObject(obj, err, Py_PRINT_RAW) != 0 ||
	    PyFile_WriteString("\n", err) != 0)
		PyErr_Clear();
}

/*
 * Deal with the exception a step raised: KeyboardInterrupt ends hotload;
 * SystemExit ends the step with its code, as it would end python; anything
 * else prints its traceback. what names the part of the step that failed.
 */
static enum step_status
step_exception(const char *what, char *detail, size_t len)
{
	PyObject *type = PyErr_Occurred(), *exc, *code;
	enum step_status st = STEP_FAILED;
	long status;

	if (PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt)) {
		PyErr_Clear();
		sig_note(SIGINT);
		return STEP_INTERRUPTED;
	}
	if (!PyErr_GivenExceptionMatches(type, PyExc_SystemExit)) {
		snprintf(detail, len, "%s%s", what,
			 ((PyTypeObject *)type)->tp_name);
		PyErr_PrintEx(0);
		return STEP_FAILED;
	}
	exc = take_exception();
	code = exc ? PyObject_GetAttrString(exc, "code") : NULL;
	if (code == NULL || code == Py_None) {
		status = 0;
	} else if (PyLong_Check(code)) {
		status = PyLong_AsLong(code);
	} else {
		print_to_stderr(code);
		status = 1;
	}
	PyErr_Clear();
	Py_XDECREF(code);
	Py_XDECREF(exc);
	snprintf(detail, len, "%sexit %ld", what, status);
	if (status == 0)
		st = STEP_OK;
	return st;
}

/* Call the function named by the dotted name hook in mod. */
static enum step_status
call_hook(PyObject *mod, const char *hook, const char *which, char *detail,
	  size_t len)
{
	char what[256];
	PyObject *f = mod, *next, *r;
	const char *p = hook, *dot;

	snprintf(what, sizeof what, "%s %s: ", which, hook);
	Py_INCREF(f);
	while (p != NULL) {
		char part[256];

		dot = strchr(p, '.');
		snprintf(part, sizeof part, "%.*s",
			 (int)(dot ? dot - p : (ptrdiff_t)strlen(p)), p);
		next = PyObject_GetAttrString(f, part);
		Py_DECREF(f);
		if (next == NULL)
			return step_exception(what, detail, len);
		f = next;
		p = dot ? dot + 1 : NULL;
	}
	r = PyObject_CallObject(f, NULL);
	Py_DECREF(f);
	if (r == NULL)
		return step_exception(what, detail, len);
	Py_DECREF(r);
	return STEP_OK;
}

static enum step_status
worse(enum step_status a, enum step_status b)
{
	return a > b ? a : b;
}

static void
flush_stream(const char *name)
{
	PyObject *f = PySys_GetObject(name), *r;

	if (f == NULL || f == Py_None)
		return;
	r = PyObject_CallMethod(f, "flush", NULL);
	if (r == NULL)
		PyErr_Clear();
	Py_XDECREF(r);
}

/* Write out what Python buffered, so output keeps its order in a pipe. */
void
pyhost_flush(void)
{
	if (!active)
		return;
	flush_stream("stdout");
	flush_stream("stderr");
}

/*
 * Import the step's module, or reload it if an earlier round imported it,
 * with its hooks around. Returns how it went, with a word on it in detail.
 */
enum step_status
pyhost_module_step(struct step *s, char *detail, size_t len)
{
	PyObject *mod = s->handle, *fresh;
	enum step_status st = STEP_OK;

	detail[0] = '\0';
	if (mod != NULL && s->pre_hook != NULL)
		st = call_hook(mod, s->pre_hook, "pre-hook", detail, len);
	if (st != STEP_INTERRUPTED) {
		fresh = mod ? PyImport_ReloadModule(mod)
			    : PyImport_ImportModule(s->module);
		if (fresh == NULL) {
			st = worse(st, step_exception("", detail, len));
		} else {
			Py_XDECREF(mod);
			s->handle = fresh;
			if (s->post_hook != NULL)
				st = worse(st, call_hook(fresh, s->post_hook,
							 "post-hook", detail,
							 len));
		}
	}
	pyhost_flush();
	/* Each round starts where hotload started, whatever the code did. */
	if (start_dir != -1 && fchdir(start_dir) != 0)
		hl_msg("cannot go back to the starting directory");
	/* A process the user's code forked must not go on as hotload. */
	if (getpid() != main_pid)
		_exit(st == STEP_OK ? 0 : 1);
	return st;
}

/* Start a round: forget cached directory listings, to see new modules. */
void
pyhost_round_begin(void)
{
	PyObject *r;

	if (!active)
		return;
	r = PyObject_CallObject(invalidate_caches, NULL);
	if (r == NULL)
		PyErr_Clear();
	Py_XDECREF(r);
}

/* Release the interpreter's lock while hotload waits. */
void
pyhost_begin_wait(void)
{
	if (active && waiting == NULL)
		waiting = PyEval_SaveThread();
}

void
pyhost_end_wait(void)
{
	if (active && waiting != NULL) {
		PyEval_RestoreThread(waiting);
		waiting = NULL;
	}
}

/* Run Python's signal handlers; return true on a KeyboardInterrupt. */
bool
pyhost_interrupted(void)
{
	bool was_waiting = waiting != NULL, hit = false;

	if (!active)
		return false;
	pyhost_end_wait();
	if (PyErr_CheckSignals() != 0) {
		if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt)) {
			sig_note(SIGINT);
			hit = true;
		} else {
			PyErr_PrintEx(0);
		}
		PyErr_Clear();
	}
	if (was_waiting)
		pyhost_begin_wait();
	return hit;
}

static void
interrupt_from_signal(void)
{
	PyErr_SetInterrupt();
}

/*
 * Turn a --module argument into a module name and a directory for sys.path:
 * "lib" is lib; "dir/pkg/mod.py" is pkg.mod from dir, as long as pkg holds
 * an __init__.py, and "src/lib.py" is lib from src, as python src/lib.py
 * would import it.
 */
static void
resolve_module(struct step *s, const struct filelist *fl)
{
	size_t n = strlen(s->arg);
	char *dir, *slash, *init, *name;

	if (strchr(s->arg, '/') == NULL &&
	    (n <= 3 || strcmp(s->arg + n - 3, ".py") != 0)) {
		s->module = xstrdup(s->arg);
		return;
	}
	dir = path_join_clean(fl->cwd, fl->cwdlen, s->arg);
	n = strlen(dir);
	if (n > 3 && strcmp(dir + n - 3, ".py") == 0)
		dir[n - 3] = '\0';
	slash = strrchr(dir, '/');
	s->module = xstrdup(slash + 1);
	*slash = '\0';
	init = xmalloc(strlen(dir) + sizeof "/__init__.py");
	while (dir[0] != '\0') {
		sprintf(init, "%s/__init__.py", dir);
		if (access(init, F_OK) != 0)
			break;
		slash = strrchr(dir, '/');
		name = xmalloc(strlen(slash + 1) + strlen(s->module) + 2);
		sprintf(name, "%s.%s", slash + 1, s->module);
		free(s->module);
		s->module = name;
		*slash = '\0';
	}
	free(init);
	if (dir[0] == '\0')
		strcpy(dir, "/");
	if (strcmp(dir, fl->cwd) != 0)
		s->syspath = dir;
	else
		free(dir);
}

static int
insert_path(Py_ssize_t where, const char *dir)
{
	PyObject *path = PySys_GetObject("path");
	PyObject *item = PyUnicode_DecodeFSDefault(dir);
	int r = -1;

	if (path != NULL && item != NULL)
		r = PyList_Insert(path, where, item);
	Py_XDECREF(item);
	return r;
}

/* Set up Python for the steps of o; fl is the list of watched files. */
int
pyhost_init(struct options *o, const struct filelist *fl)
{
	PyConfig config;
	PyStatus status;
	PyObject *mod;
	char *argv[1] = {(char *)"hotload"};
	char setup[128];
	size_t i;
	Py_ssize_t at = 1;

	PyConfig_InitPythonConfig(&config);
	config.parse_argv = 0;
	config.install_signal_handlers = 1;
	config.write_bytecode = 0;
	status = PyConfig_SetBytesArgv(&config, 1, argv);
	if (!PyStatus_Exception(status)) {
		PyImport_AppendInittab("hotload", PyInit_hotload);
		status = Py_InitializeFromConfig(&config);
	}
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status)) {
		hl_msg("cannot start Python: %s%s%s",
		       status.func ? status.func : "",
		       status.func ? ": " : "",
		       status.err_msg ? status.err_msg : "unknown error");
		return -1;
	}
	active = true;
	main_pid = getpid();
	start_dir = open(".", O_RDONLY | O_CLOEXEC);
	pymodule_set_files(fl);
	sig_set_interrupt(interrupt_from_signal);

	if (insert_path(0, fl->cwd) != 0)
		goto fail;
	for (i = 0; i < o->nsteps; i++) {
		if (o->steps[i].kind != STEP_MODULE)
			continue;
		resolve_module(&o->steps[i], fl);
		if (o->steps[i].syspath != NULL &&
		    insert_path(at++, o->steps[i].syspath) != 0)
			goto fail;
	}
	snprintf(setup, sizeof setup,
		 "import signal\n"
		 "signal.set_wakeup_fd(%d, warn_on_full_buffer=False)\n",
		 sig_wake_fd());
	if (PyRun_SimpleString(setup) != 0)
		return -1;
	mod = PyImport_ImportModule("hotload");
	if (mod == NULL)
		goto fail;
	Py_DECREF(mod);
	mod = PyImport_ImportModule("importlib");
	if (mod == NULL)
		goto fail;
	invalidate_caches = PyObject_GetAttrString(mod, "invalidate_caches");
	Py_DECREF(mod);
	if (invalidate_caches == NULL)
		goto fail;
	return 0;
fail:
	PyErr_PrintEx(0);
	return -1;
}

/*
 * End the interpreter. On a normal exit it is finalized as python would be:
 * atexit functions run and threads are joined. When a signal ends hotload
 * (at_once), the atexit functions run but threads are not waited for.
 */
void
pyhost_finalize(bool at_once)
{
	PyObject *atexit, *r = NULL;

	if (!active)
		return;
	pyhost_end_wait();
	if (at_once) {
		/* The signal that ends hotload is not for the atexit code. */
		if (PyErr_CheckSignals() != 0)
			PyErr_Clear();
		atexit = PyImport_ImportModule("atexit");
		if (atexit != NULL)
			r = PyObject_CallMethod(atexit, "_run_exitfuncs", NULL);
		if (r == NULL)
			PyErr_PrintEx(0);
		Py_XDECREF(r);
		Py_XDECREF(atexit);
		pyhost_flush();
		return;
	}
	pyhost_flush();
	Py_CLEAR(invalidate_caches);
	active = false;
	Py_FinalizeEx();
}
