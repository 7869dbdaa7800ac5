/* round.c: one round, every step in command-line order, and its status. */
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
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

/* The status line, as it is built. */
struct line {
	char buf[2048];
	size_t used;
};

/* Append text to the line, cut if it does not fit. */
static void
line_add(struct line *l, const char *text)
{
	size_t n = strlen(text);

	if (l->used + n >= sizeof l->buf)
		n = sizeof l->buf - 1 - l->used;
	memcpy(l->buf + l->used, text, n);
	l->used += n;
	l->buf[l->used] = '\0';
}

/* Append text with what a terminal would act on escaped (hl_escape). */
static void
line_add_safe(struct line *l, const char *text)
{
	hl_escape(l->buf + l->used, sizeof l->buf - l->used, text);
	l->used += strlen(l->buf + l->used);
}

/* SGR sequences for an outcome: ok green, failed red, restarted yellow. */
static const char *const colors[] = {"\033[32m", "\033[31m", "\033[33m"};
static const char color_off[] = "\033[m";

/* Append an outcome's words, in its colour if color is set. */
static void
line_add_outcome(struct line *l, int st, const char *words, bool color)
{
	if (color && st >= STEP_OK && st <= STEP_RESTART)
		line_add(l, colors[st]);
	line_add_safe(l, words);
	if (color && st >= STEP_OK && st <= STEP_RESTART)
		line_add(l, color_off);
}

/*
 * Are status lines in colour? With --color=auto, they are on a terminal,
 * unless NO_COLOR is set to anything but "" (no-color.org) or TERM says the
 * terminal is dumb.
 */
static bool
use_color(const struct options *o)
{
	const char *no = getenv("NO_COLOR"), *term = getenv("TERM");

	if (o->color != COLOR_AUTO)
		return o->color == COLOR_ALWAYS;
	return isatty(STDERR_FILENO) && (no == NULL || no[0] == '\0') &&
	       (term == NULL || strcmp(term, "dumb") != 0);
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
 * went in its result; new_files says that files appeared since the last
 * round. Returns STEP_OK if all went well, STEP_FAILED if one failed,
 * STEP_RESTART if a change stopped one, or STEP_INTERRUPTED at once if a
 * signal asked hotload to end. round_report then says how the round went.
 */
enum step_status
round_run(struct round *r, const struct changes *chg, bool new_files)
{
	enum step_status st, all = STEP_OK;
	size_t i;

	r->count++;
	r->start = mono_ns();
	r->wall = now_ns();
	r->chg = chg;
	r->ran_command = false;
	for (i = 0; i < r->opt->nsteps; i++)
		r->opt->steps[i].result.status = -1;
	if (r->opt->clear)
		round_clear_terminal();
	host_round_begin(r->count, r->files, chg, new_files);
	for (i = 0; i < r->opt->nsteps; i++) {
		struct step *s = &r->opt->steps[i];
		struct step_result *res = &s->result;
		int64_t began = mono_ns();

		res->detail[0] = '\0';
		res->error_type[0] = '\0';
		res->error_message[0] = '\0';
		res->error_file[0] = '\0';
		res->error_line = 0;
		switch (s->kind) {
		case STEP_MODULE:
			st = host_module_step(r, s, res->detail,
			                      sizeof res->detail);
			break;
		case STEP_RUN:
			r->ran_command = true;
			st = command_run(r, s, chg, res->detail,
			                 sizeof res->detail);
			break;
		case STEP_CLEAR:
			round_clear_terminal();
			continue;
		case STEP_CALL:
		default:
			st = host_call_step(s, res->detail, sizeof res->detail);
			break;
		}
		if (st == STEP_INTERRUPTED)
			return st;
		res->status = (int)st;
		res->took_ns = mono_ns() - began;
		if (st > all)
			all = st;
		/* A restart starts the round again: the line says what it
		 * got to. */
		if (st == STEP_RESTART)
			break;
	}
	return all;
}

/*
 * Print the status line of the round whose steps ended with st, and write
 * its line to the --events file. Returns st, or STEP_INTERRUPTED if nobody
 * reads the output any more.
 */
enum step_status
round_report(struct round *r, enum step_status st)
{
	static const char *const words[] = {"ok", "failed", "restarted"};
	int64_t took = mono_ns() - r->start;
	const char *sep = ": ";
	bool color;
	struct line l = {{0}, 0};
	char text[64];
	size_t i;

	if (st == STEP_INTERRUPTED)
		return st;
	if (stdout_broken()) {
		/* Nobody reads the output any more: end as a pipeline would. */
		sig_note(SIGPIPE);
		return STEP_INTERRUPTED;
	}
	if (r->opt->events != NULL)
		events_write(r->opt->events, r, (int)st);
	if (r->opt->quiet)
		return st;
	color = use_color(r->opt);
	snprintf(text, sizeof text, "round %lu ", r->count);
	line_add(&l, text);
	line_add_outcome(&l, st, words[st], color);
	format_ms(text, sizeof text, took);
	line_add(&l, " in ");
	line_add(&l, text);
	for (i = 0; i < r->opt->nsteps; i++) {
		const struct step *s = &r->opt->steps[i];

		if (s->result.status < 0)
			continue;
		line_add(&l, sep);
		sep = ", ";
		line_add_safe(&l, s->label);
		line_add(&l, " ");
		line_add_outcome(&l, s->result.status,
		                 s->result.status == STEP_OK ? "ok"
		                                             : s->result.detail,
		                 color);
	}
	hl_put(l.buf);
	return st;
}
