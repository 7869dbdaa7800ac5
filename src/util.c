/* util.c: memory, clocks, hashing, a string map, and hotload's messages. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hotload.h"

static _Noreturn void
out_of_memory(void)
{
	fputs("hotload: out of memory\n", stderr);
	exit(EXIT_FAIL);
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		out_of_memory();
	return p;
}

void *
xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		out_of_memory();
	return p;
}

/* Resize an array of n elements of the given size, checking for overflow. */
void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		out_of_memory();
	return xrealloc(p, n * size);
}

/*
 * Grow the array p of *n elements of the given size, if need be, so that it
 * holds element i; the new elements are zero. Returns the array.
 */
void *
grow_zeroed(void *p, size_t *n, size_t i, size_t size)
{
	size_t want = *n ? *n : 64;

	if (i < *n)
		return p;
	while (want <= i)
		want *= 2;
	p = xreallocarray(p, want, size);
	memset((char *)p + *n * size, 0, (want - *n) * size);
	*n = want;
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Return the wall-clock time in nanoseconds, the clock file times use. */
int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Return a monotonic time in nanoseconds, for durations. */
int64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Return the CPU time the calling thread has used, in nanoseconds, or -1
 * where the system cannot tell. */
int64_t
cpu_ns(void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
		return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
#endif
	return -1;
}

/* Continue a 64-bit FNV-1a hash over n bytes. Start with h = 0. */
uint64_t
hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	if (h == 0)
		h = 14695981039346656037ULL;
	while (n-- > 0) {
		h ^= *s++;
		h *= 1099511628211ULL;
	}
	return h;
}

/*
 * How many bytes at s make one well-formed UTF-8 character, as Python's
 * decoder reads them: 0 for NUL and for a byte that starts none.
 */
size_t
utf8_len(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	unsigned char c = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;

	if (c < 0x80)
		return c != 0;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4;
	else
		return 0;
	/* The second byte's range rules out overlong forms, surrogates and
	 * code points past U+10FFFF. */
	if (c == 0xE0)
		lo = 0xA0;
	else if (c == 0xED)
		hi = 0x9F;
	else if (c == 0xF0)
		lo = 0x90;
	else if (c == 0xF4)
		hi = 0x8F;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	return n;
}

/*
 * How many bytes at s make one character that a terminal prints as text:
 * 0 for control characters, the C1 controls U+0080 to U+009F among them
 * (some terminals act on those as on ESC), and bytes that are not UTF-8.
 */
static size_t
printable_len(const char *s)
{
	unsigned char c = (unsigned char)s[0];

	if (c < 0x80)
		return c >= 0x20 && c != 0x7F;
	if (c == 0xC2 && (unsigned char)s[1] < 0xA0)
		return 0;
	return utf8_len(s);
}

/*
 * Copy s into buf (len bytes, len > 0) with what a terminal would act on
 * escaped, as git shows file names: \a \b \t \n \v \f \r for those
 * controls, and \ooo in octal for the other control bytes (\033 for ESC),
 * for the bytes of the C1 controls and for bytes that are not UTF-8. Text
 * that does not fit is cut, never inside an escape. Returns buf.
 */
char *
hl_escape(char *buf, size_t len, const char *s)
{
	static const char named[] = "abtnvfr"; /* \a to \r */
	const unsigned char *p = (const unsigned char *)s;
	size_t used = 0, n;
	char esc[8];

	while (*p != '\0') {
		n = printable_len((const char *)p);
		if (n > 0) {
			if (used + n >= len)
				break;
			memcpy(buf + used, p, n);
			used += n;
			p += n;
			continue;
		}
		if (*p >= '\a' && *p <= '\r')
			snprintf(esc, sizeof esc, "\\%c", named[*p - '\a']);
		else
			snprintf(esc, sizeof esc, "\\%03o", *p);
		n = strlen(esc);
		if (used + n >= len)
			break;
		memcpy(buf + used, esc, n);
		used += n;
		p++;
	}
	buf[used] = '\0';
	return buf;
}

/* Print a line of hotload's own to stderr, prefixed "hotload: ", as it is:
 * text that is safe for a terminal (hl_escape). */
void
hl_put(const char *text)
{
	int saved = errno;

	fprintf(stderr, "hotload: %s\n", text);
	errno = saved;
}

/*
 * Print a message of hotload's own to stderr, prefixed "hotload: ". Control
 * characters in it, as a file name may hold, are escaped (hl_escape), so
 * that a name cannot move the cursor or retitle the terminal.
 */
void
hl_msg(const char *fmt, ...)
{
	char buf[4096], safe[4 * sizeof buf];
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	hl_put(hl_escape(safe, sizeof safe, buf));
	errno = saved;
}

static size_t
strmap_slot(const struct strmap *m, const char *key)
{
	size_t i = hash_bytes(0, key, strlen(key)) & (m->cap - 1);

	while (m->keys[i] != NULL && strcmp(m->keys[i], key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* Return the value stored under key, or STRMAP_NONE. */
size_t
strmap_get(const struct strmap *m, const char *key)
{
	size_t i;

	if (m->cap == 0)
		return STRMAP_NONE;
	i = strmap_slot(m, key);
	return m->keys[i] != NULL ? m->vals[i] : STRMAP_NONE;
}

/* Store val under key, which must outlive the map. */
void
strmap_put(struct strmap *m, const char *key, size_t val)
{
	size_t i;

	if ((m->len + 1) * 2 > m->cap) {
		struct strmap bigger = {0};

		bigger.cap = m->cap ? m->cap * 2 : 64;
		bigger.keys = xcalloc(bigger.cap, sizeof *bigger.keys);
		bigger.vals = xcalloc(bigger.cap, sizeof *bigger.vals);
		for (i = 0; i < m->cap; i++)
			if (m->keys[i] != NULL)
				strmap_put(&bigger, m->keys[i], m->vals[i]);
		strmap_free(m);
		*m = bigger;
	}
	i = strmap_slot(m, key);
	if (m->keys[i] == NULL) {
		m->keys[i] = key;
		m->len++;
	}
	m->vals[i] = val;
}

void
strmap_free(struct strmap *m)
{
	free(m->keys);
	free(m->vals);
	memset(m, 0, sizeof *m);
}
