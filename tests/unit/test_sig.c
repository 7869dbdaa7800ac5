/*
 * test_sig.c: signals, raised at the test itself: which ones end hotload,
 * which ones only interrupt the Python code (a stand-in function here), a
 * SIGINT ignored at start that stays ignored, and handlers taken back after
 * code replaced them.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

static volatile sig_atomic_t interrupts;

/* What PyErr_SetInterrupt is in hotload: here, a count. */
static void
interrupt(void)
{
	interrupts++;
}

static void (*handler_of(int signo))(int)
{
	struct sigaction sa;

	sigaction(signo, NULL, &sa);
	return sa.sa_handler;
}

static bool
blocked(int signo)
{
	sigset_t set;

	sigprocmask(SIG_BLOCK, NULL, &set);
	return sigismember(&set, signo) == 1;
}

static void
set_handler(int signo, void (*handler)(int))
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = handler;
	sigemptyset(&sa.sa_mask);
	sigaction(signo, &sa, NULL);
}

/* A signal woke the wake pipe up, and it is empty again. */
static bool
woken(void)
{
	return sig_poll(-1, -1, 0) == WAKE_SIGNAL &&
	       sig_poll(-1, -1, 0) == WAKE_TIMEOUT;
}

static void
test_without_python(void)
{
	set_handler(SIGINT, SIG_DFL);
	CHECK(sig_init(false, true) == 0);
	CHECK(handler_of(SIGINT) != SIG_DFL);
	raise(SIGINT);
	CHECK(sig_caught() == SIGINT);
	CHECK(sig_int_count() == 0);
	CHECK(woken());
	/* Nothing to interrupt: --restart would stop Python with SIGINT. */
	CHECK(sig_stop_signal() == SIGINT);
	sig_forget(SIGINT);
	CHECK(sig_caught() == 0);
	raise(SIGCHLD);
	CHECK(sig_caught() == 0);
	CHECK(woken());
	sig_restore();
	CHECK(handler_of(SIGINT) == SIG_DFL);
	CHECK(handler_of(SIGTERM) == SIG_DFL);
}

static void
test_with_python(void)
{
	set_handler(SIGINT, SIG_DFL);
	interrupts = 0;
	CHECK(sig_init(true, true) == 0);
	/* SIGINT is Python's to take while it starts. */
	CHECK(handler_of(SIGINT) == SIG_DFL);
	sig_set_interrupt(interrupt);
	CHECK(handler_of(SIGINT) != SIG_DFL);

	/* Ctrl-C interrupts the code, and is counted: the loop ends on the
	 * KeyboardInterrupt, a step on the count. Python's wakeup fd, not
	 * hotload, wakes the wait up (at a --repl prompt, there is none:
	 * Ctrl-C is the prompt's). */
	raise(SIGINT);
	CHECK(interrupts == 1);
	CHECK(sig_int_count() == 1);
	CHECK(sig_caught() == 0);
	CHECK(sig_poll(-1, -1, 0) == WAKE_TIMEOUT);

	/* hotload's own signal to stop the code for a change: no Ctrl-C. */
	CHECK(sig_stop_signal() != SIGINT);
	CHECK(sig_stop_signal() != SIGTERM && sig_stop_signal() != SIGHUP);
	raise(sig_stop_signal());
	CHECK(interrupts == 2);
	CHECK(sig_int_count() == 1);
	CHECK(sig_caught() == 0);
	CHECK(sig_poll(-1, -1, 0) == WAKE_TIMEOUT);

	/* SIGTERM and SIGHUP end hotload, and interrupt the code. */
	raise(SIGTERM);
	CHECK(interrupts == 3);
	CHECK(sig_caught() == SIGTERM);
	raise(SIGHUP);
	CHECK(interrupts == 4);
	CHECK(sig_caught() == SIGTERM); /* the first one counts */
	CHECK(woken());
	sig_restore();
	CHECK(handler_of(SIGINT) == SIG_DFL);
	CHECK(handler_of(SIGTERM) == SIG_DFL);
	CHECK(handler_of(sig_stop_signal()) == SIG_DFL);
}

static void
test_sigint_ignored_at_start(void)
{
	/* As `hotload ... &` in a script starts it. */
	set_handler(SIGINT, SIG_IGN);
	interrupts = 0;
	CHECK(sig_init(true, true) == 0);
	/* Python is to see SIGINT at its default, and install its handler,
	 * through which hotload interrupts the code; meanwhile it waits. */
	CHECK(handler_of(SIGINT) == SIG_DFL);
	CHECK(blocked(SIGINT));
	set_handler(SIGINT, SIG_IGN); /* a stand-in for Python's handler */
	sig_set_interrupt(interrupt);
	CHECK(handler_of(SIGINT) == SIG_IGN);
	CHECK(!blocked(SIGINT));
	raise(SIGINT);
	CHECK(interrupts == 0);
	CHECK(sig_int_count() == 0);
	CHECK(sig_caught() == 0);

	/* The rest works as ever: SIGTERM, and stopping the code. */
	raise(sig_stop_signal());
	CHECK(interrupts == 1);
	raise(SIGTERM);
	CHECK(interrupts == 2);
	CHECK(sig_caught() == SIGTERM);

	/* Code that took SIGINT gives it back ignored. */
	set_handler(SIGINT, SIG_DFL);
	sig_reclaim();
	CHECK(handler_of(SIGINT) == SIG_IGN);
	sig_restore();
	CHECK(handler_of(SIGINT) == SIG_IGN);

	/* Without Python, it is not touched at all. */
	CHECK(sig_init(false, true) == 0);
	CHECK(handler_of(SIGINT) == SIG_IGN);
	CHECK(!blocked(SIGINT));
	sig_restore();
	set_handler(SIGINT, SIG_DFL);
}

static void
test_reclaim(void)
{
	void (*ours)(int);
	sigset_t set;

	set_handler(SIGINT, SIG_DFL);
	interrupts = 0;
	CHECK(sig_init(true, true) == 0);
	sig_set_interrupt(interrupt);
	ours = handler_of(SIGTERM);

	/* The user's code takes SIGTERM, SIGINT and SIGCHLD, ignores
	 * hotload's stop signal, and blocks SIGHUP. */
	set_handler(SIGTERM, SIG_IGN);
	set_handler(SIGINT, SIG_IGN);
	set_handler(SIGCHLD, SIG_IGN);
	set_handler(sig_stop_signal(), SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sig_reclaim();
	CHECK(handler_of(SIGTERM) == ours);
	CHECK(handler_of(SIGINT) == ours);
	CHECK(handler_of(SIGCHLD) == ours);
	CHECK(handler_of(sig_stop_signal()) == ours);
	CHECK(!blocked(SIGHUP));
	raise(SIGINT);
	CHECK(sig_int_count() == 1);
	raise(SIGTERM);
	CHECK(sig_caught() == SIGTERM);
	CHECK(interrupts == 2);

	/* What was there before hotload comes back at the end, not what the
	 * code put in meanwhile. */
	sig_restore();
	CHECK(handler_of(SIGTERM) == SIG_DFL);
	CHECK(handler_of(SIGCHLD) == SIG_DFL);
}

static void
test_not_own(void)
{
	/* hotload() in a user's python: SIGTERM and SIGHUP are the user's,
	 * SIGINT is Python's, and --restart stops the code with SIGINT. */
	set_handler(SIGINT, SIG_DFL);
	CHECK(sig_init(true, false) == 0);
	CHECK(handler_of(SIGTERM) == SIG_DFL);
	CHECK(handler_of(SIGHUP) == SIG_DFL);
	CHECK(handler_of(SIGINT) == SIG_DFL);
	CHECK(sig_stop_signal() == SIGINT);
	sig_reclaim();
	CHECK(handler_of(SIGTERM) == SIG_DFL);
	CHECK(handler_of(SIGINT) == SIG_DFL);
	sig_restore();
}

int
main(void)
{
	test_without_python();
	test_with_python();
	test_sigint_ignored_at_start();
	test_reclaim();
	test_not_own();
	return CHECK_DONE();
}
