/*
 * command.c: --run steps. Each command is a /bin/sh -c child in a process
 * group of its own, so that stopping it stops what it started too; hotload
 * waits for it, and with --restart stops it when a file changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "hotload.h"

extern char **environ;

/* The most bytes of file names handed to a command (one string's limit). */
#define NAMES_MAX (96 * 1024)

/* Process groups of commands that may still have processes in them. */
static pid_t *groups;
static size_t ngroups, capgroups;

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

/* Say how a child ended, as "exit 2" or "killed by signal 9 (Killed)". */
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
	return sig_caught() != 0 || host_interrupted();
}

/* Does the process group still have a process in it? */
static bool
group_alive(pid_t pgid)
{
	return kill(-pgid, 0) == 0 || errno == EPERM;
}

/*
 * Stop the process group pgid: signo to all of it, then SIGKILL to what is
 * left kill_after seconds later. Reaps the processes of the group that are
 * our children: the leader, and on Linux the ones it left behind.
 */
static void
stop_group(pid_t pgid, int signo, double kill_after)
{
	int64_t deadline = mono_ns() + (int64_t)(kill_after * 1e9);
	int status;

	kill(-pgid, signo);
	if (signo != SIGKILL && signo != SIGCONT)
		kill(-pgid, SIGCONT); /* a stopped process cannot end */
	for (;;) {
		while (waitpid(-pgid, &status, WNOHANG) > 0)
			;
		if (!group_alive(pgid))
			return;
		if (mono_ns() >= deadline)
			break;
		sig_poll(-1, -1, 10000000);
	}
	kill(-pgid, SIGKILL);
	while (waitpid(-pgid, &status, 0) > 0)
		;
}

/* Stop whatever commands left running: hotload is ending. */
void
command_stop_all(const struct options *o)
{
	size_t i;

	for (i = 0; i < ngroups; i++)
		if (group_alive(groups[i]))
			stop_group(groups[i], o ? o->stop_signal : SIGTERM,
			           o ? o->kill_after : 5);
	ngroups = 0;
}

/*
 * Have the processes that commands leave behind become hotload's children
 * when their parent ends, so that it can stop and reap them: a Linux
 * feature; elsewhere init adopts and reaps them.
 */
static void
adopt_orphans(void)
{
#ifdef __linux__
	static bool done;

	if (!done)
		prctl(PR_SET_CHILD_SUBREAPER, 1);
	done = true;
#endif
}

/* Remember the group pgid, forgetting the ones that are empty now. */
static void
note_group(pid_t pgid)
{
	size_t i, kept = 0;
	int status;

	/* Reap what ended in the groups, that was left to us. */
	for (i = 0; i < ngroups; i++)
		while (waitpid(-groups[i], &status, WNOHANG) > 0)
			;
	for (i = 0; i < ngroups; i++)
		if (group_alive(groups[i]))
			groups[kept++] = groups[i];
	ngroups = kept;
	if (ngroups == capgroups) {
		capgroups = capgroups ? capgroups * 2 : 8;
		groups = xreallocarray(groups, capgroups, sizeof *groups);
	}
	groups[ngroups++] = pgid;
}

static int
spawn(struct round *r, const char *cmd, const struct changes *chg, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t def, none;
	char **argv, **env, *var;
	int error;

	if (!build_args(cmd, r->files, chg, &argv, &env, &var))
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
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	                                    POSIX_SPAWN_SETSIGMASK |
	                                    POSIX_SPAWN_SETPGROUP);
	posix_spawn_file_actions_init(&fa);
	if (r->stdin_null)
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null",
		                                 O_RDONLY, 0);
	fflush(stdout);
	host_flush();
	adopt_orphans();
	error = posix_spawn(pid, "/bin/sh", &fa, &attr, argv, env);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	free(var);
	free(argv);
	free(env);
	if (error == 0) {
		setpgid(*pid, *pid); /* in case the child has not yet */
		note_group(*pid);
	}
	return error;
}

/*
 * Run the step's command with /bin/sh -c, the changed files as its
 * positional parameters and in HOTLOAD_CHANGED, and wait for it; with
 * --restart, stop it if a file changes meanwhile, and before it starts,
 * stop what its last run left running (a server started with &). Describe
 * the outcome in detail.
 */
enum step_status
command_run(struct round *r, struct step *s, const struct changes *chg,
            char *detail, size_t len)
{
	const struct options *o = r->opt;
	enum step_status st = STEP_OK;
	int status = 0, error;
	pid_t pid, done;

	if (o->restart && s->group != 0 && group_alive(s->group)) {
		host_begin_wait();
		stop_group(s->group, o->stop_signal, o->kill_after);
		host_end_wait();
	}
	error = spawn(r, s->arg, chg, &pid);
	if (error != 0) {
		snprintf(detail, len, "could not start: %s", strerror(error));
		return STEP_FAILED;
	}
	s->group = pid;
	host_begin_wait();
	for (;;) {
		done = waitpid(pid, &status, WNOHANG);
		if (done == pid)
			break;
		if (done == -1 && errno != EINTR) {
			snprintf(detail, len, "lost: %s", strerror(errno));
			st = STEP_FAILED;
			break;
		}
		if (interrupted()) {
			stop_group(pid, o->stop_signal, o->kill_after);
			st = STEP_INTERRUPTED;
			break;
		}
		/* SIGCHLD ends a wait; the timeout covers a lost one. */
		if (o->restart && r->w != NULL) {
			if (watch_wait(r->w, -1, 100000000, r->pending) ==
			    WATCH_CHANGED) {
				stop_group(pid, o->stop_signal, o->kill_after);
				snprintf(detail, len, "stopped for a change");
				st = STEP_RESTART;
				break;
			}
		} else {
			sig_poll(-1, -1, 100000000);
		}
	}
	host_end_wait();
	if (st != STEP_OK)
		return st;
	describe(status, detail, len);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? STEP_OK
	                                                     : STEP_FAILED;
}
