/*
 * sig.c: signals. SIGTERM and SIGHUP end hotload; SIGINT too, unless it was
 * ignored when hotload started (as `hotload ... &` in a script starts it):
 * then it stays ignored. Every signal of interest, SIGCHLD included, writes
 * a byte to a pipe, so that a wait on the pipe wakes up whichever thread
 * the kernel delivered the signal to.
 *
 * Running Python code is interrupted through Python's SIGINT handler
 * (PyErr_SetInterrupt, given by sig_set_interrupt), which hotload makes
 * sure is there even when SIGINT itself is ignored. To stop the code for a
 * change (--restart), hotload sends its main thread a signal of its own,
 * SIGURG, whose default is to be ignored and which Python leaves alone: a
 * signal sent to the thread is what ends the system call it is blocked in.
 */
#ifdef __linux__
#define _GNU_SOURCE /* ppoll: poll with a timeout to the nanosecond */
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hotload.h"

/* hotload's own signal to its main thread: stop the Python code. */
#define SIG_STOP_CODE SIGURG

static int wake[2] = {-1, -1};
static bool watch_output;
static volatile sig_atomic_t caught;
static volatile sig_atomic_t ints; /* SIGINTs while Python takes them */
static volatile sig_atomic_t last; /* the last signal but SIGCHLD */
static void (*interrupt_python)(void);
static bool own;         /* hotload's own program, not hotload() */
static bool int_ignored; /* SIGINT was ignored when hotload started */

/*
 * A signal: SIGCHLD only wakes a wait up. SIGTERM and SIGHUP ask hotload
 * to end, and interrupt the Python code. SIGINT asks hotload to end; when
 * Python runs, it is Python's KeyboardInterrupt, which wakes waits through
 * Python's wakeup fd, and is counted, so that code which catches it still
 * ends hotload after its clean-up. Our own SIG_STOP_CODE only interrupts
 * the code.
 */
static void
on_signal(int signo)
{
	int saved = errno;
	ssize_t n;

	if (signo != SIGCHLD)
		last = signo;
	/* What the signal asks for is noted before Python is interrupted:
	 * the main thread may see the interrupt at once. */
	if (signo != SIGCHLD && signo != SIG_STOP_CODE &&
	    (signo != SIGINT || interrupt_python == NULL) && caught == 0)
		caught = signo;
	if (signo != SIGCHLD && interrupt_python != NULL) {
		if (signo == SIGINT)
			ints++;
		interrupt_python();
		if (signo == SIGINT || signo == SIG_STOP_CODE) {
			errno = saved;
			return;
		}
	}
	n = write(wake[1], "", 1);
	(void)n;
	errno = saved;
}

static void
set_flags(int fd, int flags)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | flags);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* The signals sig_init catches, and what was done with them before. */
#define NSIGNALS 5
static const int caught_signals[NSIGNALS] = {SIGTERM, SIGHUP, SIGINT, SIGCHLD,
                                             SIG_STOP_CODE};
static struct sigaction before[NSIGNALS];
static bool changed[NSIGNALS];

/* Set signo's action to handler, keeping the first action replaced. */
static void
set_action(int signo, void (*handler)(int))
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	/* Interrupted system calls are not restarted, so that a blocked
	 * wait returns at once; SIGCHLD alone restarts them. */
	if (signo == SIGCHLD)
		sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGNALS; i++)
		if (caught_signals[i] == signo &&
		    sigaction(signo, &sa, &old) == 0 && !changed[i]) {
			before[i] = old;
			changed[i] = true;
		}
}

static void
handle(int signo)
{
	set_action(signo, on_signal);
}

/* Block or unblock SIGINT in the calling thread. */
static void
block_int(int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigprocmask(how, &set, NULL);
}

/*
 * Create the wake pipe and catch SIGCHLD and SIG_STOP_CODE; returns -1 if
 * it cannot. A program of its own (own) also ends on SIGTERM and SIGHUP,
 * and on SIGINT unless that was ignored. When Python is to start (python),
 * SIGINT is left to it until sig_set_interrupt, and made SIG_DFL meanwhile
 * if it was ignored (and blocked, so that none is lost), so that Python
 * installs its KeyboardInterrupt handler, through which hotload interrupts
 * the code; sig_set_interrupt ignores it again.
 */
int
sig_init(bool python, bool is_own)
{
	struct sigaction sa;

	if (pipe(wake) != 0)
		return -1;
	set_flags(wake[0], O_NONBLOCK);
	set_flags(wake[1], O_NONBLOCK);
	caught = 0;
	ints = 0;
	own = is_own;
	int_ignored =
	    sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
	if (own) {
		handle(SIGTERM);
		handle(SIGHUP);
		if (!python && !int_ignored)
			handle(SIGINT);
		if (python && int_ignored) {
			block_int(SIG_BLOCK);
			set_action(SIGINT, SIG_DFL);
		}
	}
	handle(SIGCHLD);
	handle(SIG_STOP_CODE);
	return 0;
}

/* Put back the signal handlers sig_init replaced, and close the pipe. */
void
sig_restore(void)
{
	size_t i;

	for (i = 0; i < NSIGNALS; i++)
		if (changed[i]) {
			sigaction(caught_signals[i], &before[i], NULL);
			changed[i] = false;
		}
	close(wake[0]);
	close(wake[1]);
	wake[0] = wake[1] = -1;
	caught = 0;
	interrupt_python = NULL;
}

/*
 * Python runs: have SIGTERM, SIGHUP, SIG_STOP_CODE and (in hotload's own
 * program) SIGINT interrupt running Python code with fn, which is safe to
 * call in a signal handler (PyErr_SetInterrupt). In the program, SIGINT is
 * hotload's from now on, or ignored again if it was ignored at start.
 */
void
sig_set_interrupt(void (*fn)(void))
{
	interrupt_python = fn;
	if (own && fn != NULL)
		sig_reclaim();
	if (own && int_ignored)
		block_int(SIG_UNBLOCK);
}

/*
 * After the user's code ran: take back the signals it may have taken
 * (signal.signal, a debugger, an event loop) or blocked in this thread,
 * so that between steps hotload's are in force. Python's own record of
 * its handlers is the caller's to put back.
 */
void
sig_reclaim(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;
	int signo;

	sigemptyset(&set);
	for (i = 0; i < NSIGNALS; i++) {
		signo = caught_signals[i];
		if (signo == SIGINT && (!own || interrupt_python == NULL))
			continue; /* SIGINT is Python's */
		if (signo == SIGINT && int_ignored) {
			if (sigaction(SIGINT, NULL, &sa) == 0 &&
			    sa.sa_handler != SIG_IGN)
				set_action(SIGINT, SIG_IGN);
			continue;
		}
		if (!changed[i] && signo != SIGINT)
			continue; /* not caught: not hotload's */
		if (sigaction(signo, NULL, &sa) == 0 &&
		    sa.sa_handler != on_signal)
			handle(signo);
		sigaddset(&set, signo);
	}
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
}

/* Is this hotload's own program (not hotload() in the user's python)? */
bool
sig_own(void)
{
	return own;
}

/* The signal to send the main thread to stop the Python code it runs. */
int
sig_stop_signal(void)
{
	return interrupt_python != NULL ? SIG_STOP_CODE : SIGINT;
}

/* How many SIGINTs came while Python took them (the prompt's input hook
 * tells a Ctrl-C from other wake-ups by it). */
unsigned long
sig_int_count(void)
{
	return (unsigned long)ints;
}

/* The last signal that came, SIGCHLD aside (0 if none): what a
 * KeyboardInterrupt Python raises now stands for. */
int
sig_last(void)
{
	return last;
}

int
sig_wake_fd(void)
{
	return wake[1];
}

/* Wake the next wait up again, as a signal would. */
void
sig_rewake(void)
{
	ssize_t n = write(wake[1], "", 1);

	(void)n;
}

/* Empty the wake pipe. */
void
sig_drain(void)
{
	char buf[256];

	while (read(wake[0], buf, sizeof buf) > 0)
		;
}

/* Have waits also end hotload when nobody reads its output any more. */
void
sig_watch_output(bool on)
{
	watch_output = on;
}

/*
 * Wait until fd or fd2 (either may be -1) is readable, a signal arrives, or
 * timeout_ns passes (never if negative), and say which came first. A
 * standard output whose reader has gone counts as SIGPIPE, when asked for.
 */
enum wake
sig_poll(int fd, int fd2, int64_t timeout_ns)
{
	const int64_t day = (int64_t)86400 * 1000000000;
	struct pollfd p[4];
	int n, i;

	if (timeout_ns > day)
		timeout_ns = day;
	p[0].fd = wake[0];
	p[1].fd = fd;
	p[2].fd = fd2;
	p[3].fd = watch_output ? STDOUT_FILENO : -1;
	for (i = 0; i < 4; i++) {
		p[i].events = i < 3 ? POLLIN : 0;
		p[i].revents = 0;
	}
#ifdef __linux__
	{
		struct timespec ts;

		ts.tv_sec = (time_t)(timeout_ns / 1000000000);
		ts.tv_nsec = (long)(timeout_ns % 1000000000);
		n = ppoll(p, 4, timeout_ns < 0 ? NULL : &ts, NULL);
	}
#else
	n = poll(p, 4, timeout_ns < 0 ? -1
				      : (int)((timeout_ns + 999999) / 1000000));
#endif
	if (n == -1)
		return errno == EINTR ? WAKE_SIGNAL : WAKE_TIMEOUT;
	if (n == 0)
		return WAKE_TIMEOUT;
	if (p[3].revents & POLLERR) {
		sig_note(SIGPIPE);
		return WAKE_SIGNAL;
	}
	if (p[0].revents != 0) {
		sig_drain();
		return WAKE_SIGNAL;
	}
	return p[1].revents != 0   ? WAKE_FD
	       : p[2].revents != 0 ? WAKE_FD2
				   : WAKE_TIMEOUT;
}

/* Return the signal that asked hotload to end, or 0. */
int
sig_caught(void)
{
	return caught;
}

/* Record that signo asked hotload to end (Python saw a SIGINT). */
void
sig_note(int signo)
{
	if (caught == 0)
		caught = signo;
}

/* Forget that signo asked hotload to end: hotload sent it itself. */
void
sig_forget(int signo)
{
	if (caught == signo)
		caught = 0;
}

/*
 * End hotload by signo, so that the parent sees how it ended (a shell shows
 * status 128 + signo, and stops a loop or script interrupted by Ctrl-C).
 */
_Noreturn void
sig_exit(int signo)
{
	struct sigaction sa;
	sigset_t set;

	fflush(stdout);
	term_restore();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, signo);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	raise(signo);
	_exit(128 + signo);
}
