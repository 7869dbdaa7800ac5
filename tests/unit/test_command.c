/*
 * test_command.c: --run steps (command.c): a command's status, the changed
 * files as its "$@" and $HOTLOAD_CHANGED, names that are not code, and a
 * command that leaves a process behind.
 */
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

static struct options opt;
static struct filelist files;
static struct round round;
static char out[] = "/tmp/hotload-test-command-XXXXXX";

/* Run cmd for the changes chg; its status, with detail. */
static enum step_status
run(const char *cmd, const struct changes *chg, char *detail, size_t len)
{
	struct step s = {0};

	s.kind = STEP_RUN;
	s.arg = cmd;
	s.label = (char *)cmd;
	return command_run(&round, &s, chg, detail, len);
}

/* What the last command wrote to the file out, or "". */
static const char *
written(void)
{
	static char buf[4096];
	FILE *fp = fopen(out, "r");
	size_t n = fp ? fread(buf, 1, sizeof buf - 1, fp) : 0;

	buf[n] = '\0';
	if (fp != NULL)
		fclose(fp);
	return buf;
}

static void
test_status(void)
{
	struct changes none = {0};
	char detail[256];

	CHECK(run("true", &none, detail, sizeof detail) == STEP_OK);
	CHECK(run("exit 3", &none, detail, sizeof detail) == STEP_FAILED);
	CHECK_STR(detail, "exit 3");
	CHECK(run("kill -9 $$", &none, detail, sizeof detail) == STEP_FAILED);
	CHECK(strncmp(detail, "killed by signal 9", 18) == 0);
}

/* The changed files reach the command as "$@" and $HOTLOAD_CHANGED, as
 * they are: a name that looks like code stays a name. */
static void
test_changed_files(void)
{
	struct changes chg = {0};
	char detail[256], cmd[256];

	changes_add(&chg, 1);
	changes_add(&chg, 0);
	snprintf(cmd, sizeof cmd,
	         "printf '%%s|' \"$#\" \"$@\" > %s; "
	         "printf '%%s' \"$HOTLOAD_CHANGED\" >> %s",
	         out, out);
	CHECK(run(cmd, &chg, detail, sizeof detail) == STEP_OK);
	CHECK_STR(written(), "2|$(touch x);y.py|a b.py|$(touch x);y.py\n"
	                     "a b.py");
	changes_free(&chg);
}

/* What a command leaves running in its group is stopped at the end. */
static void
test_stop_all(void)
{
	struct changes none = {0};
	char detail[256], cmd[256];
	pid_t pid;
	FILE *fp;

	snprintf(cmd, sizeof cmd, "sleep 60 & echo $! > %s", out);
	CHECK(run(cmd, &none, detail, sizeof detail) == STEP_OK);
	fp = fopen(out, "r");
	CHECK(fp != NULL && fscanf(fp, "%d", &pid) == 1);
	if (fp != NULL)
		fclose(fp);
	CHECK(kill(pid, 0) == 0);
	command_stop_all(&opt);
	CHECK(kill(pid, 0) == -1);
}

int
main(void)
{
	int fd = mkstemp(out);

	if (fd == -1)
		return 1;
	close(fd);
	options_init(&opt);
	opt.kill_after = 1;
	if (filelist_init(&files, NULL, 0) != 0)
		return 1;
	filelist_add(&files, "a b.py", true);
	filelist_add(&files, "$(touch x);y.py", true);
	round.opt = &opt;
	round.files = &files;
	round.stdin_null = true;
	test_status();
	test_changed_files();
	test_stop_all();
	filelist_free(&files);
	unlink(out);
	return CHECK_DONE();
}
