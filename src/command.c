/* command.c: --run steps, each a /bin/sh -c child hotload waits for. */
#include <errno.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hotload.h"

extern char **environ;

/* The most bytes of file names handed to a command (one string's limit). */
#define NAMES_MAX (96 * 1024)

/*
 * Build the child's argument vector, sh -c CMD sh FILE..., and environment,
 * ours with HOTLOAD_CHANGED set to the changed files, one per line. Returns
 * false if the names are too many to pass.
 */
static bool
build_args(const char *cmd, const struct filelist *fl,
	   const struct changes *chg, char ***argvp, char ***envp, char **varp)
{
	size_t i, n = 0, len = sizeof "HOTLOAD_CHANGED=";
	char **argv, **env, *var, *p;
	bool fit;

	for (i = 0; i < chg->n; i++)
		len += strlen(fl->v[chg->idx[i]].name) + 1;
	fit = len <= NAMES_MAX;
	argv = xcalloc((fit ? chg->n : 0) + 5, sizeof *argv);
	argv[0] = "sh";
	argv[1] = "-c";
	argv[2] = (char *)cmd;
	argv[3] = "sh";
	var = p = xmalloc(fit ? len : sizeof "HOTLOAD_CHANGED=");
	p += sprintf(p, "HOTLOAD_CHANGED=");
	for (i = 0; fit && i < chg->n; i++) {
		const char *name = fl->v[chg->idx[i]].name;

		argv[4 + i] = (char *)name;
		p += sprintf(p, "%s%s", i ? "\n" : "", name);
	}
	while (environ[n] != NULL)
		n++;
	env = xcalloc(n + 2, sizeof *env);
	for (n = 0, i = 0; environ[i] != NULL; i++)
		if (strncmp(environ[i], "HOTLOAD_CHANGED=", 16) != 0)
			env[n++] = environ[i];
	env[n] = var;
	*argvp = argv;
	*envp = env;
	*varp = var;
	return fit;
}

/* Say how a child ended, as "exit 2" or "killed by SIGKILL". */
static void
describe(int status, char *buf, size_t len)
{
	if (WIFEXITED(status))
		snprintf(buf, len, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, len, "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(buf, len, "status %d", status);
}

static bool
interrupted(void)
{
	return sig_caught() != 0 || pyrun_interrupted();
}

/* Stop a child hotload no longer waits for: TERM, then KILL after 2 s. */
static void
stop_child(pid_t pid)
{
	int64_t deadline = mono_ns() + 2000000000LL;
	int status;

	kill(pid, SIGTERM);
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (mono_ns() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return;
		}
		sig_poll(-1, 10000000);
	}
}

/*
 * Run cmd with /bin/sh -c, the changed files as its positional parameters
 * and in HOTLOAD_CHANGED, and wait for it. Describe the outcome in detail.
 */
enum step_status
command_run(const char *cmd, const struct filelist *fl,
	    const struct changes *chg, char *detail, size_t len)
{
	posix_spawnattr_t attr;
	sigset_t def, none;
	char **argv, **env, *var;
	enum step_status st;
	pid_t pid;
	int status = 0, error;

	if (!build_args(cmd, fl, chg, &argv, &env, &var))
		hl_msg("%zu files changed, too many to pass to '%s'; "
		       "it gets none",
		       chg->n, cmd);
	/* Python ignores SIGPIPE and SIGXFSZ; commands must not inherit it. */
	sigemptyset(&def);
	sigaddset(&def, SIGPIPE);
	sigaddset(&def, SIGXFSZ);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &def);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setflags(&attr,
				 POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	fflush(stdout);
	pyrun_flush();
	error = posix_spawn(&pid, "/bin/sh", NULL, &attr, argv, env);
	posix_spawnattr_destroy(&attr);
	free(var);
	free(argv);
	free(env);
	if (error != 0) {
		snprintf(detail, len, "could not start: %s", strerror(error));
		return STEP_FAILED;
	}
	st = STEP_OK;
	pyrun_begin_wait();
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			break;
		if (r == -1 && errno != EINTR) {
			snprintf(detail, len, "lost: %s", strerror(errno));
			st = STEP_FAILED;
			break;
		}
		if (interrupted()) {
			stop_child(pid);
			st = STEP_INTERRUPTED;
			break;
		}
		/* SIGCHLD wakes the wait; the timeout covers a lost one. */
		sig_poll(-1, 100000000);
	}
	pyrun_end_wait();
	if (st != STEP_OK)
		return st;
	describe(status, detail, len);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? STEP_OK
							     : STEP_FAILED;
}
