/*
 * sig.c: signals. SIGTERM and SIGHUP end hotload; SIGINT too (Python's own
 * handler takes it when the interpreter runs). Every signal of interest,
 * SIGCHLD included, writes a byte to a pipe, so that a wait on the pipe
 * wakes up whichever thread the kernel delivered the signal to.
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

static int wake[2] = {-1, -1};
static bool watch_output;
static volatile sig_atomic_t caught;
static void (*interrupt_python)(void);

static void
on_signal(int signo)
{
	int saved = errno;
	ssize_t n;

	if (signo != SIGCHLD) {
		if (caught == 0)
			caught = signo;
		if (interrupt_python != NULL)
			interrupt_python();
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
static const int caught_signals[] = {SIGTERM, SIGHUP, SIGINT, SIGCHLD};
static struct sigaction before[4];
static bool changed[4];

static void
catch(int signo, int flags)
{
	struct sigaction sa;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		if (caught_signals[i] == signo)
			changed[i] = sigaction(signo, &sa, &before[i]) == 0;
}

/*
 * Create the wake pipe and catch SIGCHLD; returns -1 if it cannot. A program of its own (own) also
 * ends on SIGTERM and SIGHUP, and on SIGINT unless Python takes that one
 * (python); the caller then points Python's wakeup fd at the pipe.
 * Interrupted system calls are not restarted, so that a blocked wait
 * returns at once; SIGCHLD alone restarts them.
 */
int
sig_init(bool python, bool own)
{
	if (pipe(wake) != 0)
		return -1;
	set_flags(wake[0], O_NONBLOCK);
	set_flags(wake[1], O_NONBLOCK);
	caught = 0;
	if (own) {
		catch(SIGTERM, 0);
		catch(SIGHUP, 0);
		if (!python)
			catch(SIGINT, 0);
	}
	catch(SIGCHLD, SA_RESTART | SA_NOCLDSTOP);
	return 0;
}

/* Put back the signal handlers sig_init replaced, and close the pipe. */
void
sig_restore(void)
{
	size_t i;

	for (i = 0; i < 4; i++)
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

/* Have SIGTERM and SIGHUP also interrupt running Python code with fn. */
void
sig_set_interrupt(void (*fn)(void))
{
	interrupt_python = fn;
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
