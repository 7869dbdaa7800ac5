/*
 * pyhost.c: the interpreter the hotload program embeds. It is started once
 * and kept for the whole session, set up to behave as the user's own python
 * would (their virtualenv, sys.executable, sys.argv, the current directory
 * first on sys.path), and given one step object per --module.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#include "hotload.h"

#ifndef HOTLOAD_PYTHON
#define HOTLOAD_PYTHON "" /* the python hotload was built with */
#endif

PyMODINIT_FUNC PyInit_hotload(void);

static PyObject *hotload_module;
static struct options *options;
static struct loop *repl_loop;
static void (*stop_now)(void); /* ends hotload: a signal asked for it */

static void
interrupt_from_signal(void)
{
	PyErr_SetInterrupt();
}

/*
 * Turn a --module argument into a module name, a directory for sys.path and
 * the module's file: "lib" is lib; "dir/pkg/mod.py" is pkg.mod from dir, as
 * long as pkg holds an __init__.py, and "src/lib.py" is lib from src, as
 * python src/lib.py would import it. Returns the file's path, to be freed.
 */
static char *
resolve_module(struct step *s, const struct filelist *fl)
{
	size_t n = strlen(s->arg);
	char *dir, *slash, *init, *name, *file, *p;

	if (strchr(s->arg, '/') == NULL &&
	    (n <= 3 || strcmp(s->arg + n - 3, ".py") != 0)) {
		s->module = xstrdup(s->arg);
		/* The file python -m would run, if it is below here. */
		file = xmalloc(fl->cwdlen + n + sizeof "/__init__.py" + 1);
		sprintf(file, "%s/%s", fl->cwd, s->arg);
		for (p = file + fl->cwdlen + 1; *p != '\0'; p++)
			if (*p == '.')
				*p = '/';
		strcat(file, ".py");
		if (access(file, F_OK) != 0)
			strcpy(file + strlen(file) - 3, "/__init__.py");
		if (access(file, F_OK) != 0)
			strcpy(file, s->arg);
		return file;
	}
	dir = path_join_clean(fl->cwd, fl->cwdlen, s->arg);
	n = strlen(dir);
	file = n > 3 && strcmp(dir + n - 3, ".py") == 0
	           ? xstrdup(dir)
	           : strcat(strcpy(xmalloc(n + 4), dir), ".py");
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
	return file;
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

/*
 * Say so when the virtualenv at venv was made by another Python than the
 * one hotload runs: its packages are built for that one and do not import.
 */
static void
check_venv_version(const char *venv)
{
	char path[4096], line[256];
	int major, minor;
	FILE *fp;

	snprintf(path, sizeof path, "%s/pyvenv.cfg", venv);
	fp = fopen(path, "r");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof line, fp) != NULL)
		if ((sscanf(line, "version = %d.%d", &major, &minor) == 2 ||
		     sscanf(line, "version_info = %d.%d", &major, &minor) ==
		         2) &&
		    (major != PY_MAJOR_VERSION || minor != PY_MINOR_VERSION)) {
			hl_msg(
			    "the virtualenv %s is for Python %d.%d, but "
			    "hotload runs Python %d.%d: its packages will not "
			    "import. Make the virtualenv with Python %d.%d, "
			    "or build hotload with "
			    "-DPython3_EXECUTABLE=%s/bin/python",
			    venv, major, minor, PY_MAJOR_VERSION,
			    PY_MINOR_VERSION, PY_MAJOR_VERSION,
			    PY_MINOR_VERSION, venv);
			break;
		}
	fclose(fp);
}

/*
 * The python the user would run: the active virtualenv's, or the one
 * hotload was built with. Python finds its prefix, and a virtualenv's
 * site-packages, from it.
 */
static const char *
user_python(char *buf, size_t len)
{
	const char *venv = getenv("VIRTUAL_ENV");

	if (venv != NULL && venv[0] != '\0') {
		snprintf(buf, len, "%s/bin/python", venv);
		if (access(buf, X_OK) == 0) {
			check_venv_version(venv);
			return buf;
		}
		hl_msg("VIRTUAL_ENV is %s, but it has no bin/python; ignoring "
		       "it",
		       venv);
	}
	if (HOTLOAD_PYTHON[0] != '\0' && access(HOTLOAD_PYTHON, X_OK) == 0)
		return HOTLOAD_PYTHON;
	return NULL;
}

/* Make the Python object for each --module step. */
static int
make_module_steps(struct options *o, struct filelist *fl, PyObject **argv0)
{
	PyObject *cls =
	    PyObject_GetAttrString(hotload_module, "_CommandLineModule");
	Py_ssize_t at = 1;
	size_t i, k;
	char *file;

	if (cls == NULL)
		return -1;
	for (i = 0; i < o->nsteps; i++) {
		struct step *s = &o->steps[i];

		if (s->kind != STEP_MODULE)
			continue;
		file = resolve_module(s, fl);
		/* Gone, it cannot be imported: its round waits until it is
		 * back. */
		if ((k = strmap_get(&fl->index, file)) != STRMAP_NONE)
			fl->v[k].wait_back = true;
		if (*argv0 == NULL)
			*argv0 = PyUnicode_DecodeFSDefault(file);
		free(file);
		free(s->label);
		s->label = xstrdup(s->module);
		if (s->syspath != NULL && insert_path(at++, s->syspath) != 0)
			break;
		s->obj = PyObject_CallFunction(
		    cls, "szzO", s->module, s->pre_hook, s->post_hook,
		    o->recursive ? Py_True : Py_False);
		if (s->obj == NULL)
			break;
	}
	Py_DECREF(cls);
	return i == o->nsteps ? 0 : -1;
}

/*
 * Set up Python for the steps of o; fl is the list of watched files. stop
 * ends hotload when a signal asks for it while the prompt waits.
 */
int
pyhost_init(struct options *o, struct filelist *fl, void (*stop)(void))
{
	PyConfig config;
	PyStatus status;
	PyObject *argv0 = NULL, *argv, *r, *sigmod = NULL;
	char *args[1] = {(char *)"hotload"}, buf[4096], setup[128];
	const char *python = user_python(buf, sizeof buf);

	options = o;
	stop_now = stop;
	PyConfig_InitPythonConfig(&config);
	config.parse_argv = 0;
	config.install_signal_handlers = 1;
	config.write_bytecode = 0;
	status = PyConfig_SetBytesArgv(&config, 1, args);
	if (!PyStatus_Exception(status) && python != NULL)
		status = PyConfig_SetBytesString(&config, &config.program_name,
		                                 python);
	if (!PyStatus_Exception(status)) {
		PyImport_AppendInittab("hotload", PyInit_hotload);
		status = Py_InitializeFromConfig(&config);
	}
	PyConfig_Clear(&config);
	if (PyStatus_Exception(status)) {
		hl_msg("cannot start Python: %s%s%s",
		       status.func ? status.func : "", status.func ? ": " : "",
		       status.err_msg ? status.err_msg : "unknown error");
		return -1;
	}
	sig_set_interrupt(interrupt_from_signal);
	if (insert_path(0, fl->cwd) != 0)
		goto fail;
	hotload_module = PyImport_ImportModule("hotload");
	if (hotload_module == NULL ||
	    PyObject_SetAttrString(hotload_module, "running", Py_True) != 0 ||
	    (r = PyObject_CallMethod(hotload_module, "_start", "ii",
	                             !o->no_patch, o->verbose)) == NULL ||
	    make_module_steps(o, fl, &argv0) != 0)
		goto fail;
	Py_DECREF(r);
	/* sys.argv is what python FILE would make it: the module's file. */
	argv = Py_BuildValue("[N]", argv0);
	if (argv == NULL || PySys_SetObject("argv", argv) != 0)
		goto fail;
	Py_DECREF(argv);
	snprintf(setup, sizeof setup,
	         "import signal\n"
	         "signal.set_wakeup_fd(%d, warn_on_full_buffer=False)\n",
	         sig_wake_fd());
	if (PyRun_SimpleString(setup) != 0)
		return -1;
	/* Python's SIGINT handler: hotload's, which tells it of a Ctrl-C. */
	if ((sigmod = PyImport_ImportModule("signal")) == NULL ||
	    (r = PyObject_CallMethod(
	         sigmod, "signal", "iN", SIGINT,
	         PyObject_GetAttrString(hotload_module, "_on_sigint"))) == NULL)
		goto fail;
	Py_DECREF(r);
	Py_DECREF(sigmod);
	sig_reclaim(); /* signal.signal took SIGINT from hotload's handler */
	pyrun_attach(hotload_module, fl);
	return 0;
fail:
	Py_XDECREF(sigmod);
	PyErr_PrintEx(0);
	return -1;
}

/*
 * End the interpreter. On a normal exit it is finalized as python would be:
 * atexit functions run, and threads are joined. When a signal ends hotload
 * (at_once), the atexit functions run but threads are not waited for.
 */
void
pyhost_finalize(bool at_once)
{
	PyObject *atexit, *r = NULL;

	if (hotload_module == NULL)
		return;
	pyrun_end_wait();
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
		pyrun_flush();
		return;
	}
	pyrun_flush();
	pyrun_detach();
	Py_CLEAR(hotload_module);
	Py_FinalizeEx();
}

/* The readline function that draws the prompt and the line again, if the
 * interpreter's readline module uses GNU readline. */
static void (*redraw_line)(void);

static void
find_redraw(void)
{
#ifdef RTLD_NOLOAD
	static const char *const libs[] = {"libreadline.so.8",
	                                   "libreadline.so.7", "libreadline.so",
	                                   "libreadline.dylib"};
	size_t i;
	void *lib;

	for (i = 0; i < sizeof libs / sizeof libs[0] && !redraw_line; i++)
		if ((lib = dlopen(libs[i], RTLD_LAZY | RTLD_NOLOAD)) != NULL)
			*(void **)&redraw_line =
			    dlsym(lib, "rl_forced_update_display");
#endif
}

/* Before a round's output: clear the line the prompt is on. */
static void
repl_before_round(void)
{
	fputs("\r\033[K", stdout);
	fflush(stdout);
}

/* After it: refresh the prompt's names, and draw the prompt again. */
static void
repl_after_round(void)
{
	PyObject *r = PyObject_CallMethod(hotload_module, "_repl_refresh", "i",
	                                  redraw_line == NULL);

	if (r == NULL)
		PyErr_PrintEx(0);
	Py_XDECREF(r);
	pyrun_flush();
	if (redraw_line != NULL)
		redraw_line();
}

/*
 * A Ctrl-C while the prompt's input hook waits is the prompt's, but Python
 * reads the line (readline's select, or fgets) only after the hook returns,
 * and takes the KeyboardInterrupt only from a signal that ends that read.
 * So the hook returns, and a thread sends the main thread hotload's own
 * stop signal, which interrupts Python as a Ctrl-C does, every 2 ms until
 * the hook is called again: the read it ends calls the hook, then takes
 * the interrupt.
 */
static pthread_t prompt_thread, resender;
static volatile sig_atomic_t resending;
static bool resender_runs;
/* GNU readline reads the prompt's lines (else Python's fgets does). */
static bool repl_readline;
/* The SIGINTs counted when the hook last looked (sig_int_count). */
static unsigned long hook_ints;

static void *
resend_interrupt(void *arg)
{
	struct timespec ts = {0, 2000000};

	(void)arg;
	while (resending) {
		pthread_kill(prompt_thread, sig_stop_signal());
		nanosleep(&ts, NULL);
	}
	return NULL;
}

static void
resend_start(void)
{
	sigset_t all, old;

	resending = 1;
	prompt_thread = pthread_self();
	/* The thread takes no signal of its own: they are the main one's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	resender_runs =
	    pthread_create(&resender, NULL, resend_interrupt, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void
resend_stop(void)
{
	if (!resender_runs)
		return;
	resending = 0;
	pthread_join(resender, NULL);
	resender_runs = false;
}

/*
 * While the prompt waits for a line, Python calls this (with readline,
 * after each look at the terminal; without it, before each line). Wait
 * here for typing, and run a round as soon as files change, so that a save
 * shows at once.
 */
static int
repl_input_hook(void)
{
	PyGILState_STATE gil;
	enum step_status st;
	enum loop_result status;

	if (resender_runs) {
		/* Called again: with readline, after the look at the terminal
		 * the signal ended, which takes the interrupt once the hook
		 * goes back, at once; without, fgets took it already. */
		resend_stop();
		hook_ints = sig_int_count();
		if (repl_readline)
			return 0;
	}
	if (sig_int_count() != hook_ints) {
		/* A Ctrl-C ended readline's look at the terminal: it takes the
		 * interrupt once the hook goes back. */
		hook_ints = sig_int_count();
		return 0;
	}
	gil = PyGILState_Ensure();
	status = loop_next(repl_loop, -1, &st);
	if (status == LOOP_INPUT && repl_loop->prompt_int) {
		repl_loop->prompt_int = false;
		resend_start();
	}
	hook_ints = sig_int_count();
	if (sig_caught() != 0 && sig_caught() != SIGINT) {
		PyGILState_Release(gil);
		stop_now();
	}
	if (status == LOOP_STOPPED) {
		/* Ctrl-C stopped a round: back to the prompt, as in python. */
		sig_forget(SIGINT);
		hl_msg("round %lu interrupted", repl_loop->r.count);
		if (repl_loop->after_round != NULL)
			repl_loop->after_round();
	}
	PyGILState_Release(gil);
	return 0;
}

/*
 * Give the user a Python prompt in the interpreter, until exit() or
 * Ctrl-D, while saves go on running rounds. Returns the exit status.
 */
int
pyhost_repl(struct loop *L)
{
	const char *home = getenv("HOME");
	char history[4096];
	PyObject *names, *r;
	size_t i;
	long status = EXIT_OK;

	snprintf(history, sizeof history, "%s/.hotload_history",
	         home ? home : ".");
	names = PyList_New(0);
	for (i = 0; names && i < options->nsteps; i++)
		if (options->steps[i].kind == STEP_MODULE)
			PyList_Append(names, PyUnicode_FromString(
			                         options->steps[i].module));
	repl_loop = L;
	L->input_fd = STDIN_FILENO;
	L->keys = false;
	L->prompt = true;
	L->before_round = repl_before_round;
	L->after_round = repl_after_round;
	r = PyObject_CallMethod(hotload_module, "_repl_start", "Os", names,
	                        history);
	Py_XDECREF(names);
	if (r != NULL) {
		repl_readline = PyObject_IsTrue(r) == 1;
		Py_DECREF(r);
		find_redraw();
		PyOS_InputHook = repl_input_hook;
		r = PyObject_CallMethod(hotload_module, "_repl", NULL);
		PyOS_InputHook = NULL;
	}
	if (r == NULL && PyErr_ExceptionMatches(PyExc_SystemExit)) {
		status = pyrun_exit_status();
	} else if (r == NULL) {
		PyErr_PrintEx(0);
		status = EXIT_FAIL;
	}
	Py_XDECREF(r);
	return (int)status;
}
