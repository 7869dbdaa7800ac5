/*
 * events.c: --events FILE. After each round one line of JSON is appended to
 * FILE (JSON Lines), for editors and tools to follow the rounds by: when it
 * began, how long it took, how it went, the files it ran for, and each
 * step, with the place of a Python error in the user's code. hotload(1)
 * gives the format, field by field; it is stable.
 *
 * Strings keep their exact bytes: a byte that is not part of UTF-8 (a file
 * name may hold one) is written as the escape \udcXX, for the lone
 * surrogate U+DC80 + (byte - 0x80), which is how Python's surrogateescape
 * reads such a byte, so that os.fsencode() of the string gives the bytes.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hotload.h"

/* A line being built. */
struct jbuf {
	char *p;
	size_t len;
	size_t cap;
};

static void
jb_add(struct jbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = xrealloc(b->p, b->cap);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void jb_printf(struct jbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
jb_printf(struct jbuf *b, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		jb_add(b, buf,
		       (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* Append s as a JSON string, its bytes kept as the header says. */
static void
jb_string(struct jbuf *b, const char *s)
{
	static const char named[] = "btnvfr"; /* \b to \r, \v unnamed */
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	jb_add(b, "\"", 1);
	while (*p != '\0') {
		n = utf8_len((const char *)p);
		if (*p == '"' || *p == '\\') {
			jb_add(b, "\\", 1);
			jb_add(b, (const char *)p, 1);
		} else if (*p >= '\b' && *p <= '\r' && *p != '\v') {
			jb_printf(b, "\\%c", named[*p - '\b']);
		} else if (*p < 0x20 || *p == 0x7F) {
			jb_printf(b, "\\u%04x", *p);
		} else if (n == 0) {
			jb_printf(b, "\\udc%02x", *p);
		} else {
			jb_add(b, (const char *)p, n);
			p += n;
			continue;
		}
		p++;
	}
	jb_add(b, "\"", 1);
}

/* Append "key": followed by the string s, or null if s is empty. */
static void
jb_field(struct jbuf *b, const char *key, const char *s)
{
	jb_printf(b, ",\"%s\":", key);
	if (s[0] == '\0')
		jb_add(b, "null", 4);
	else
		jb_string(b, s);
}

/* Append the time ns (on the wall clock) as ISO 8601 UTC, to the ms. */
static void
jb_time(struct jbuf *b, int64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000);
	struct tm tm;
	char buf[64];

	if (gmtime_r(&sec, &tm) == NULL ||
	    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm) == 0)
		buf[0] = '\0';
	jb_printf(b, "\"%s.%03dZ\"", buf, (int)(ns % 1000000000 / 1000000));
}

static const char *const statuses[] = {"ok", "failed", "restarted",
                                       "interrupted"};

/* Append a step that ran, as an object of the "steps" list. */
static void
jb_step(struct jbuf *b, const struct step *s)
{
	static const char *const kinds[] = {"module", "command", "clear",
	                                    "python"};
	const struct step_result *res = &s->result;

	jb_add(b, "{\"label\":", 9);
	jb_string(b, s->label);
	jb_printf(b, ",\"kind\":\"%s\",\"status\":\"%s\",\"duration_ms\":%.3f",
	          kinds[s->kind], statuses[res->status],
	          (double)res->took_ns / 1e6);
	jb_add(b, ",\"detail\":", 10);
	jb_string(b, res->status == STEP_OK ? "ok" : res->detail);
	if (res->error_type[0] == '\0') {
		jb_add(b, ",\"error\":null}", 14);
		return;
	}
	jb_add(b, ",\"error\":{\"type\":", 17);
	jb_string(b, res->error_type);
	jb_add(b, ",\"message\":", 11);
	jb_string(b, res->error_message);
	jb_field(b, "file", res->error_file);
	if (res->error_line > 0)
		jb_printf(b, ",\"line\":%ld}}", res->error_line);
	else
		jb_add(b, ",\"line\":null}}", 14);
}

/* Write all n bytes of p to fd. Returns false with errno set if it cannot. */
static bool
write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/*
 * Append the line of the round r, whose steps ended with st (an enum
 * step_status), to the file at path. The file is opened for each line, so
 * that it may be removed or emptied meanwhile, and the line is written
 * with one write where the system allows, so that a reader never sees half
 * of it. A file that cannot be written is said so once, until it can be.
 */
void
events_write(const char *path, const struct round *r, int st)
{
	static bool failing;
	struct jbuf b = {NULL, 0, 0};
	const struct filelist *fl = r->files;
	const char *sep = "";
	size_t i;
	int fd;
	bool ok;

	jb_printf(&b, "{\"round\":%lu,\"start\":", r->count);
	jb_time(&b, r->wall);
	jb_printf(&b, ",\"duration_ms\":%.3f,\"status\":\"%s\",\"changed\":[",
	          (double)(mono_ns() - r->start) / 1e6, statuses[st]);
	for (i = 0; r->chg != NULL && i < r->chg->n; i++) {
		jb_add(&b, sep, strlen(sep));
		jb_string(&b, fl->v[r->chg->idx[i]].name);
		sep = ",";
	}
	jb_add(&b, "],\"steps\":[", 11);
	for (i = 0, sep = ""; i < r->opt->nsteps; i++) {
		if (r->opt->steps[i].result.status < 0)
			continue;
		jb_add(&b, sep, strlen(sep));
		jb_step(&b, &r->opt->steps[i]);
		sep = ",";
	}
	jb_add(&b, "]}\n", 3);
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
	ok = fd != -1 && write_all(fd, b.p, b.len);
	if (fd != -1 && close(fd) != 0)
		ok = false;
	if (!ok && !failing)
		hl_msg("--events: cannot write to %s: %s (rounds go on)", path,
		       strerror(errno));
	failing = !ok;
	free(b.p);
}
