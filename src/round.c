/* round.c: one round, every step in command-line order, and its status. */
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "hotload.h"

/* Home, clear the screen, clear the scrollback. */
static const char clear_seq[] = "\033[H\033[2J\033[3J";

/* Clear the terminal the user looks at, if there is one. */
void
round_clear_terminal(void)
{
	int fd = isatty(STDOUT_FILENO)   ? STDOUT_FILENO
	         : isatty(STDERR_FILENO) ? STDERR_FILENO
	                                 : -1;
	ssize_t n;

	fflush(stdout);
	if (fd != -1)
		n = write(fd, clear_seq, sizeof clear_seq - 1);
	(void)n;
}

/* Is stdout a pipe whose reader has gone (as after hotload | head)? */
static bool
stdout_broken(void)
{
	struct pollfd p = {STDOUT_FILENO, 0, 0};

	return poll(&p, 1, 0) == 1 && (p.revents & POLLERR) != 0;
}

/* Append printf-style text to the status line in buf. */
static void
status_add(char *buf, size_t len, const char *fmt, const char *a, const char *b)
{
	size_t used = strlen(buf);

	if (used < len)
		snprintf(buf + used, len - used, fmt, a, b);
}

static void
format_ms(char *buf, size_t len, int64_t ns)
{
	double ms = (double)ns / 1e6;

	if (ms < 10)
		snprintf(buf, len, "%.2f ms", ms);
	else if (ms < 1000)
		snprintf(buf, len, "%.0f ms", ms);
	else
		snprintf(buf, len, "%.2f s", ms / 1000);
}

/*
 * Run the steps, each whatever became of the ones before, and note how each
 * went for the status line; new_files says that files appeared since the
 * last round. Returns STEP_OK if all went well, STEP_FAILED if one failed,
 * STEP_RESTART if a change stopped one, or STEP_INTERRUPTED at once if a
 * signal asked hotload to end. round_report then says how the round went.
 */
enum step_status
round_run(struct round *r, const struct changes *chg, bool new_files)
{
	char detail[256];
	enum step_status st, all = STEP_OK;
	size_t i;

	r->count++;
	r->start = mono_ns();
	r->line[0] = '\0';
	if (r->opt->clear)
		round_clear_terminal();
	host_round_begin(r->count, r->files, chg, new_files);
	for (i = 0; i < r->opt->nsteps; i++) {
		struct step *s = &r->opt->steps[i];

		detail[0] = '\0';
		switch (s->kind) {
		case STEP_MODULE:
			st = host_module_step(r, s, detail, sizeof detail);
			break;
		case STEP_RUN:
			st = command_run(r, s, chg, detail, sizeof detail);
			break;
		case STEP_CLEAR:
			round_clear_terminal();
			continue;
		case STEP_CALL:
		default:
			st = host_call_step(s, detail, sizeof detail);
			break;
		}
		if (st == STEP_INTERRUPTED)
			return st;
		if (st > all)
			all = st;
		status_add(r->line, sizeof r->line, "%s%s",
		           r->line[0] ? ", " : "", s->label);
		status_add(r->line, sizeof r->line, " %s%s",
		           st == STEP_OK ? "ok" : detail, "");
		/* A restart starts the round again: the line says what it
		 * got to. */
		if (st == STEP_RESTART)
			break;
	}
	return all;
}

/*
 * Print the status line of the round whose steps ended with st. Returns st,
 * or STEP_INTERRUPTED if nobody reads the output any more.
 */
enum step_status
round_report(struct round *r, enum step_status st)
{
	char took[32];

	if (st == STEP_INTERRUPTED)
		return st;
	if (stdout_broken()) {
		/* Nobody reads the output any more: end as a pipeline would. */
		sig_note(SIGPIPE);
		return STEP_INTERRUPTED;
	}
	if (!r->opt->quiet) {
		format_ms(took, sizeof took, mono_ns() - r->start);
		hl_msg("round %lu %s in %s: %s", r->count,
		       st == STEP_OK        ? "ok"
		       : st == STEP_RESTART ? "restarted"
		                            : "failed",
		       took, r->line);
	}
	return st;
}
