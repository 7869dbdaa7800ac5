/*
 * pyrun.c: Python code in rounds. The hotload program (with its embedded
 * interpreter) and the hotload extension module (inside the user's own
 * python) both run their Python steps through here. While hotload waits,
 * the interpreter's lock is released, so that threads the user's code
 * started keep running.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include "hotload.h"

static bool active;
static PyThreadState *waiting; /* set while the lock is released */
static PyObject *module;       /* the hotload module */
static struct filelist *files; /* the files watched */
static pid_t main_pid;
static int start_dir = -1;
static struct step *current; /* the step that runs */
static bool debugging;       /* --pdb, for the step that runs */
static PyObject *debug_exc;  /* what it is to debug when it is over */
static PyObject *sigint_handler; /* Python's, when rounds began */
static unsigned long interrupts; /* Ctrl-Cs hotload's handler took */

static const struct host python_host;

/* signal.name(SIGINT) or, with handler, signal.name(SIGINT, handler);
 * NULL, with nothing raised, if it fails. */
static PyObject *
call_signal(const char *name, PyObject *handler)
{
	PyObject *mod = PyImport_ImportModule("signal"), *r = NULL;

	if (mod != NULL)
		r = handler ? PyObject_CallMethod(mod, name, "iO", SIGINT,
		                                  handler)
		            : PyObject_CallMethod(mod, name, "i", SIGINT);
	Py_XDECREF(mod);
	PyErr_Clear();
	return r;
}

/*
 * Start running rounds with the hotload module mod over the files fl: the
 * rounds' Python steps come here from now on.
 */
void
pyrun_attach(void *mod, struct filelist *fl)
{
	files = fl;
	module = mod;
	Py_INCREF(module);
	active = true;
	main_pid = getpid();
	start_dir = open(".", O_RDONLY | O_CLOEXEC);
	host_set(&python_host);
	sigint_handler = call_signal("getsignal", NULL);
}

void
pyrun_detach(void)
{
	if (!active)
		return;
	pyrun_end_wait();
	host_set(NULL);
	Py_CLEAR(module);
	Py_CLEAR(sigint_handler);
	files = NULL;
	if (start_dir != -1)
		close(start_dir);
	start_dir = -1;
	active = false;
}

bool
pyrun_active(void)
{
	return active;
}

/* The files watched while rounds run, or NULL. */
struct filelist *
pyrun_files(void)
{
	return files;
}

/*
 * Forget the exception being raised, after a call whose failure does not
 * matter, except a KeyboardInterrupt: Python runs signal handlers inside
 * such calls (a flush, say), and Ctrl-C must not be lost there.
 */
static void
drop_error(void)
{
	if (PyErr_ExceptionMatches(PyExc_KeyboardInterrupt))
		sig_note(SIGINT);
	PyErr_Clear();
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

/* Raise exc again (taking the reference). */
static void
restore_exception(PyObject *exc)
{
#if PY_VERSION_HEX >= 0x030C0000
	PyErr_SetRaisedException(exc);
#else
	PyObject *type = (PyObject *)Py_TYPE(exc);

	Py_INCREF(type);
	PyErr_Restore(type, exc, PyException_GetTraceback(exc));
#endif
}

/* Is the traceback entry tb in hotload's own code or the import system? */
static bool
machinery_frame(PyObject *tb)
{
	PyObject *frame = PyObject_GetAttrString(tb, "tb_frame");
	PyObject *code = frame ? PyObject_GetAttrString(frame, "f_code") : NULL;
	PyObject *file =
	    code ? PyObject_GetAttrString(code, "co_filename") : NULL;
	const char *name =
	    file && PyUnicode_Check(file) ? PyUnicode_AsUTF8(file) : NULL;
	bool ours =
	    name != NULL && (strncmp(name, "<hotload", 8) == 0 ||
	                     strncmp(name, "<frozen importlib", 17) == 0 ||
	                     strstr(name, "importlib/__init__.py") != NULL);

	Py_XDECREF(file);
	Py_XDECREF(code);
	Py_XDECREF(frame);
	PyErr_Clear();
	return ours;
}

/* Write out what sys.<name> buffered. Returns false with the exception
 * set if that failed. */
static bool
flush_stream(const char *name)
{
	PyObject *f = PySys_GetObject(name), *r;

	if (f == NULL || f == Py_None)
		return true;
	r = PyObject_CallMethod(f, "flush", NULL);
	Py_XDECREF(r);
	return r != NULL;
}

/*
 * Copy the text of the str obj into buf (len bytes) with its exact bytes:
 * its file system encoding for a file name (fs), else UTF-8, a character
 * that has no bytes (a lone surrogate) escaped. The text is cut, if it
 * must be, before a character.
 */
static void
copy_text(PyObject *obj, bool fs, char *buf, size_t len)
{
	PyObject *bytes = NULL;
	size_t n = 0;

	if (obj != NULL && PyUnicode_Check(obj)) {
		bytes = fs ? PyUnicode_EncodeFSDefault(obj)
		           : PyUnicode_AsEncodedString(obj, "utf-8",
		                                       "surrogateescape");
		if (bytes == NULL) {
			PyErr_Clear();
			bytes = PyUnicode_AsEncodedString(obj, "utf-8",
			                                  "backslashreplace");
		}
	}
	if (bytes != NULL) {
		n = (size_t)PyBytes_GET_SIZE(bytes);
		if (n >= len) {
			n = len - 1;
			while (n > 0 &&
			       (PyBytes_AS_STRING(bytes)[n] & 0xC0) == 0x80)
				n--;
		}
		memcpy(buf, PyBytes_AS_STRING(bytes), n);
	}
	buf[n] = '\0';
	Py_XDECREF(bytes);
	PyErr_Clear();
}

/*
 * Note exc, which failed the step that runs, in the step's result: its
 * type, its message, and its place in the user's code (_error_place).
 */
static void
note_error(PyObject *exc)
{
	struct step_result *res = current ? &current->result : NULL;
	PyObject *place;
	long line;

	if (res == NULL)
		return;
	place = PyObject_CallMethod(module, "_error_place", "O", exc);
	if (place == NULL || !PyTuple_Check(place) ||
	    PyTuple_GET_SIZE(place) != 4) {
		drop_error();
		Py_XDECREF(place);
		return;
	}
	copy_text(PyTuple_GET_ITEM(place, 0), false, res->error_type,
	          sizeof res->error_type);
	copy_text(PyTuple_GET_ITEM(place, 1), false, res->error_message,
	          sizeof res->error_message);
	copy_text(PyTuple_GET_ITEM(place, 2), true, res->error_file,
	          sizeof res->error_file);
	line = PyLong_AsLong(PyTuple_GET_ITEM(place, 3));
	res->error_line = line > 0 ? line : 0;
	PyErr_Clear();
	Py_DECREF(place);
}

/*
 * Print the exception being raised without the frames that are not the
 * user's: hotload's and the import system's before the user's code. What
 * the code printed before it raised comes first, as in python, even when
 * stdout is a pipe and stderr is not buffered. As in python, sys.last_exc
 * (3.12 on), sys.last_type, sys.last_value and sys.last_traceback hold it
 * then, so that pdb.pm() debugs it at the --repl prompt; with --pdb, it is
 * debugged once the step is over.
 */
static void
print_exception(void)
{
	PyObject *exc = take_exception(), *tb, *next;

	if (exc == NULL)
		return;
	if (!flush_stream("stdout"))
		drop_error();
	tb = PyException_GetTraceback(exc);
	while (tb != NULL && tb != Py_None && machinery_frame(tb)) {
		next = PyObject_GetAttrString(tb, "tb_next");
		Py_DECREF(tb);
		tb = next;
	}
	PyErr_Clear();
	PyException_SetTraceback(exc, tb ? tb : Py_None);
	Py_XDECREF(tb);
	note_error(exc);
	if (debugging) {
		Py_XDECREF(debug_exc);
		Py_INCREF(exc);
		debug_exc = exc;
	}
	restore_exception(exc);
	PyErr_PrintEx(1);
}

/* stopping(): has a signal asked hotload to end? (for the debugger) */
static PyObject *
stopping(PyObject *self, PyObject *unused)
{
	(void)self;
	(void)unused;
	return PyBool_FromLong(sig_caught() != 0);
}

static PyMethodDef stopping_def = {"stopping", stopping, METH_NOARGS, NULL};

/*
 * --pdb: the step that failed is over; debug the last exception it printed
 * post-mortem, at the terminal, until the user leaves the debugger. Not if
 * a signal asked hotload to end, nor when a change stopped the step.
 */
static void
debug_failure(enum step_status st)
{
	PyObject *exc = debug_exc, *stop, *r = NULL;
	int (*hook)(void) = PyOS_InputHook;

	debug_exc = NULL;
	if (exc == NULL)
		return;
	if (st == STEP_FAILED && sig_caught() == 0) {
		pyrun_flush();
		/* The prompt of --repl runs rounds from the input hook:
		 * not while the debugger reads lines. */
		PyOS_InputHook = NULL;
		stop = PyCFunction_New(&stopping_def, NULL);
		if (stop != NULL)
			r = PyObject_CallMethod(module, "_post_mortem", "OO",
			                        exc, stop);
		PyOS_InputHook = hook;
		Py_XDECREF(stop);
		if (r == NULL &&
		    PyErr_ExceptionMatches(PyExc_KeyboardInterrupt))
			drop_error();
		else if (r == NULL)
			PyErr_PrintEx(0);
		Py_XDECREF(r);
		pyrun_flush();
	}
	Py_DECREF(exc);
}

/* Print str(obj) and a newline to sys.stderr. */
static void
print_to_stderr(PyObject *obj)
{
	PyObject *err = PySys_GetObject("stderr");

	if (err == NULL || err == Py_None ||
	    PyFile_WriteObject(obj, err, Py_PRINT_RAW) != 0 ||
	    PyFile_WriteString("\n", err) != 0)
		drop_error();
}

/*
 * The exit status a SystemExit being raised asks for, as python would take
 * it: None is 0, a number is itself, anything else is printed and is 1.
 * Clears the exception.
 */
long
pyrun_exit_status(void)
{
	PyObject *exc = take_exception(), *code;
	long status;

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
	return status;
}

/* Is type bdb.BdbQuit, which pdb's q raises to leave the code? */
static bool
debugger_quit(PyObject *type)
{
	PyObject *name = PyUnicode_FromString("bdb");
	PyObject *bdb = name ? PyImport_GetModule(name) : NULL;
	PyObject *quit = bdb ? PyObject_GetAttrString(bdb, "BdbQuit") : NULL;
	bool is = quit != NULL && PyErr_GivenExceptionMatches(type, quit);

	Py_XDECREF(quit);
	Py_XDECREF(bdb);
	Py_XDECREF(name);
	return is;
}

/*
 * Deal with the exception a step raised: KeyboardInterrupt ends hotload;
 * SystemExit ends the step with its code, as it would end python; anything
 * else prints its traceback. what names the part of the step that failed.
 */
static enum step_status
step_exception(const char *what, char *detail, size_t len)
{
	PyObject *type = PyErr_Occurred();
	long status;

	if (PyErr_GivenExceptionMatches(type, PyExc_KeyboardInterrupt)) {
		PyErr_Clear();
		sig_note(SIGINT);
		return STEP_INTERRUPTED;
	}
	if (debugger_quit(type)) {
		/* q at a pdb prompt: the step ends there, as asked. */
		PyErr_Clear();
		snprintf(detail, len, "%squit in the debugger", what);
		return STEP_FAILED;
	}
	if (!PyErr_GivenExceptionMatches(type, PyExc_SystemExit)) {
		snprintf(detail, len, "%s%s", what,
		         ((PyTypeObject *)type)->tp_name);
		print_exception();
		return STEP_FAILED;
	}
	status = pyrun_exit_status();
	snprintf(detail, len, "%sexit %ld", what, status);
	return status == 0 ? STEP_OK : STEP_FAILED;
}

static enum step_status
worse(enum step_status a, enum step_status b)
{
	return a > b ? a : b;
}

/* The module step that runs, where a part of it that failed while the
 * step went on is told (pyrun_report_failure). */
static struct {
	char *detail;
	size_t len;
	enum step_status st;
} running_step;

/*
 * A part of the running module step failed with exc, and the step goes on
 * (a pre-hook: the reload may mend it). Print the exception now, and let
 * the status line say so unless a later part fails too.
 */
void
pyrun_report_failure(const char *part, PyObject *exc)
{
	char detail[256];
	enum step_status st;

	Py_INCREF(exc);
	restore_exception(exc);
	st = step_exception(part, detail, sizeof detail);
	if (running_step.detail != NULL && st > running_step.st) {
		running_step.st = st;
		snprintf(running_step.detail, running_step.len, "%s", detail);
	}
}

/* The part of a module step that raised the exception being raised, as its
 * _failed_part says: "pre-hook main: ", "" for the reload. */
static void
failed_part(PyObject *obj, char *buf, size_t len)
{
	PyObject *exc = take_exception();
	PyObject *part = PyObject_GetAttrString(obj, "_failed_part");

	snprintf(buf, len, "%s",
		 part && PyUnicode_Check(part) ? PyUnicode_AsUTF8(part) : "");
	Py_XDECREF(part);
	PyErr_Clear();
	restore_exception(exc);
}

/*
 * After Python ran: write out what it buffered, go back to the starting
 * directory, and end a process that the user's code forked. Output that
 * cannot be written (a full disk) fails a step that went well, with the
 * error shown; Python keeps it, to be written by a later flush. Returns the
 * step's status.
 */
static enum step_status
after_python(enum step_status st, unsigned long ints, char *detail,
             size_t len)
{
	PyObject *now;
	static const char *const streams[] = {"stdout", "stderr"};
	size_t i;

	for (i = 0; i < sizeof streams / sizeof streams[0]; i++) {
		if (flush_stream(streams[i]))
			continue;
		if (st == STEP_OK)
			st = step_exception("output ", detail, len);
		else
			drop_error();
	}
	if (start_dir != -1 && fchdir(start_dir) != 0)
		hl_msg("cannot go back to the starting directory");
	if (getpid() != main_pid)
		_exit(st == STEP_OK ? 0 : 1);
	/* Between steps, Ctrl-C is hotload's again: a debugger's "c" or the
	 * code may have left a SIGINT handler of its own, and signal
	 * handlers and masks the code changed are put back. */
	now = call_signal("getsignal", NULL);
	if (now != NULL && sigint_handler != NULL && now != sigint_handler)
		Py_XDECREF(call_signal("signal", sigint_handler));
	Py_XDECREF(now);
	sig_reclaim();
	if (interrupts != ints) {
		/* Ctrl-C while the code ran ends hotload, also when the code
		 * caught the KeyboardInterrupt to clean up. */
		sig_note(SIGINT);
		st = STEP_INTERRUPTED;
	}
	return st;
}

/*
 * With --restart, a thread watches the files while Python code runs, and
 * interrupts that code with SIGINT when one changes: only a signal sent to
 * the main thread raises KeyboardInterrupt promptly in every Python.
 */
struct restart_watch {
	struct round *r;
	pthread_t main, thread;
	int stop[2];                 /* written to when the step is over */
	volatile sig_atomic_t fired; /* a change was seen, SIGINT sent */
};

static void *
restart_thread(void *arg)
{
	struct restart_watch *rw = arg;
	struct watch *w = rw->r->w;
	enum watch_result n;

	while ((n = watch_wait(w, rw->stop[0], -1, rw->r->pending)) ==
	       WATCH_SIGNAL)
		if (sig_caught() != 0) {
			/* hotload is to end (a signal, or nobody reads its
			 * output): that is for the loop, once the step is
			 * over. Leave it a wake-up this wait took. */
			sig_rewake();
			break;
		}
	if (n == WATCH_CHANGED) {
		rw->fired = 1;
		pthread_kill(rw->main, sig_stop_signal());
	}
	return NULL;
}

static bool
restart_watch_start(struct restart_watch *rw, struct round *r)
{
	memset(rw, 0, sizeof *rw);
	rw->r = r;
	rw->main = pthread_self();
	if (!r->opt->restart || r->w == NULL || pipe(rw->stop) != 0)
		return false;
	/* Not for what the user's code starts meanwhile. */
	fcntl(rw->stop[0], F_SETFD, FD_CLOEXEC);
	fcntl(rw->stop[1], F_SETFD, FD_CLOEXEC);
	if (pthread_create(&rw->thread, NULL, restart_thread, rw) != 0) {
		close(rw->stop[0]);
		close(rw->stop[1]);
		return false;
	}
	return true;
}

/* The step is over: stop the thread. Returns whether it sent SIGINT. */
static bool
restart_watch_stop(struct restart_watch *rw)
{
	ssize_t n;

	pyrun_begin_wait();
	n = write(rw->stop[1], "", 1);
	(void)n;
	pthread_join(rw->thread, NULL);
	pyrun_end_wait();
	close(rw->stop[0]);
	close(rw->stop[1]);
	return rw->fired;
}

/* Call the hotload module's function name (with arg, if not NULL), whose
 * failure does not matter. */
static void
call_quietly(const char *name, PyObject *arg)
{
	PyObject *r = arg ? PyObject_CallMethod(module, name, "O", arg)
	                  : PyObject_CallMethod(module, name, NULL);

	if (r == NULL)
		drop_error();
	Py_XDECREF(r);
}

/*
 * Run a module step: its object's _step_run(), which runs the pre-hook
 * unless this is the first import, the import or reload, and the post-hook
 * with the fresh module. With --restart, a change meanwhile stops the step.
 * Returns how it went, with a word on it in detail.
 */
static enum step_status
module_step(struct round *rd, struct step *s, char *detail, size_t len)
{
	PyObject *report = PyObject_GetAttrString(module, "_report_failure");
	PyObject *r = NULL;
	enum step_status st = STEP_OK;
	unsigned long ints = interrupts;
	struct restart_watch rw;
	bool watching = restart_watch_start(&rw, rd);
	char what[300];

	detail[0] = '\0';
	if (watching)
		call_quietly("_sockets_begin", NULL);
	current = s;
	debugging = rd->opt->pdb;
	running_step.detail = detail;
	running_step.len = len;
	running_step.st = STEP_OK;
	if (report != NULL)
		r = PyObject_CallMethod(s->obj, "_step_run", "O", report);
	if (r == NULL) {
		failed_part(s->obj, what, sizeof what);
		st = step_exception(what, detail, len);
	}
	st = worse(st, running_step.st);
	running_step.detail = NULL;
	Py_XDECREF(r);
	Py_XDECREF(report);
	if (watching && restart_watch_stop(&rw)) {
		/* The SIGINT was ours: a restart, not the user's Ctrl-C. The
		 * change that sent it is the user's save, even when the code
		 * caught the interrupt and ended by itself (a server's
		 * serve_forever does). */
		if (PyErr_CheckSignals() != 0)
			PyErr_Clear();
		sig_forget(SIGINT);
		call_quietly("_sockets_end", Py_True);
		st = STEP_RESTART;
		snprintf(detail, len, "stopped for a change");
	} else if (watching) {
		call_quietly("_sockets_end", Py_False);
	}
	debug_failure(st);
	debugging = false;
	current = NULL;
	return after_python(st, ints, detail, len);
}

/* Run a step of the Python API that is neither a module nor a command. */
static enum step_status
call_step(struct step *s, char *detail, size_t len)
{
	PyObject *run = PyObject_GetAttrString(module, "_run_step"), *r = NULL;
	enum step_status st = STEP_OK;
	unsigned long ints = interrupts;

	detail[0] = '\0';
	current = s;
	if (run != NULL)
		r = PyObject_CallFunctionObjArgs(run, s->obj, NULL);
	if (r == NULL)
		st = step_exception("", detail, len);
	Py_XDECREF(r);
	Py_XDECREF(run);
	current = NULL;
	return after_python(st, ints, detail, len);
}

static void
set_attr(const char *name, PyObject *value)
{
	if (value == NULL || PyObject_SetAttrString(module, name, value) != 0)
		PyErr_Clear();
	Py_XDECREF(value);
}

/*
 * Start round number count (1 for the first) for the changes chg: tell the
 * hotload module, and when files appeared (new_files), forget the directory
 * listings the import system keeps, so that new modules are found.
 */
static void
round_begin(unsigned long count, const struct filelist *fl,
            const struct changes *chg, bool new_files)
{
	PyObject *names, *paths, *r;
	size_t i;

	if (!active)
		return;
	pywrites_begin();
	names = PyTuple_New((Py_ssize_t)chg->n);
	paths = PyTuple_New((Py_ssize_t)chg->n);
	for (i = 0; names && paths && i < chg->n; i++) {
		const struct entry *e = &fl->v[chg->idx[i]];

		PyTuple_SET_ITEM(names, (Py_ssize_t)i,
		                 PyUnicode_DecodeFSDefault(e->name));
		PyTuple_SET_ITEM(paths, (Py_ssize_t)i,
		                 PyUnicode_DecodeFSDefault(e->path));
	}
	set_attr("changed", names);
	set_attr("_changed_paths", paths);
	set_attr("reloads", PyLong_FromUnsignedLong(count - 1));
	if (new_files) {
		r = PyObject_CallMethod(module, "_forget_listings", NULL);
		if (r == NULL)
			drop_error();
		Py_XDECREF(r);
	}
}

/*
 * hotload's SIGINT handler in Python (hotload._on_sigint) is raising a
 * KeyboardInterrupt for a Ctrl-C, not at a debugger's prompt: count it, if
 * it is a Ctrl-C (in the hotload program, not its own interrupt for
 * --restart or SIGTERM; in hotload(), where SIGINT goes to Python
 * directly, always), so that code which catches it, or Python where it
 * only prints it, still ends hotload once the step is over.
 */
void
pyrun_note_interrupt(void)
{
	if (sig_last() == SIGINT || !sig_own())
		interrupts++;
}

/* Write out what Python buffered, so output keeps its order in a pipe. */
void
pyrun_flush(void)
{
	if (!active)
		return;
	if (!flush_stream("stdout"))
		drop_error();
	if (!flush_stream("stderr"))
		drop_error();
}

/* Release the interpreter's lock while hotload waits. */
void
pyrun_begin_wait(void)
{
	if (active && waiting == NULL)
		waiting = PyEval_SaveThread();
}

void
pyrun_end_wait(void)
{
	if (active && waiting != NULL) {
		PyEval_RestoreThread(waiting);
		waiting = NULL;
	}
}

/* Run Python's signal handlers; return true on a KeyboardInterrupt. */
static bool
interrupted(void)
{
	bool was_waiting = waiting != NULL, hit = false;

	if (!active)
		return false;
	pyrun_end_wait();
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
		pyrun_begin_wait();
	return hit;
}

static const struct host python_host = {
    round_begin,    module_step, call_step,   pyrun_begin_wait,
    pyrun_end_wait, interrupted, pyrun_flush,
    pyauto_update,  pywrites_end,
};
