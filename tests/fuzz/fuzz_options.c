/*
 * fuzz_options.c: libFuzzer target for the command line. The input is the
 * argument vector, arguments separated by NUL bytes. Whatever it holds,
 * options_parse must not crash, and what it accepts must make sense.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hotload.h"

#define MAX_ARGS 64

static FILE *sink;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	sink = fopen("/dev/null", "w");
	/* --help and --version print to stdout. */
	if (freopen("/dev/null", "w", stdout) == NULL)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *args[MAX_ARGS + 2], *p;
	struct options o;
	int argc = 1;
	size_t i;

	memcpy(buf, data, size);
	buf[size] = '\0';
	args[0] = "hotload";
	for (p = buf; argc <= MAX_ARGS && p <= buf + size;
	     p += strlen(p) + 1)
		args[argc++] = p;
	args[argc] = NULL;
	if (options_parse(&o, argc, args, sink) == PARSE_OK) {
		if (o.nsteps == 0 || !(o.interval_ms > 0))
			abort();
		for (i = 0; i < o.nsteps; i++) {
			const struct step *s = &o.steps[i];

			if (s->kind != STEP_MODULE && s->kind != STEP_RUN)
				abort();
			if (s->kind == STEP_RUN &&
			    (s->pre_hook != NULL || s->post_hook != NULL))
				abort();
			if (s->label == NULL || s->arg == NULL)
				abort();
		}
		for (i = 0; i < o.nexts; i++)
			if (o.exts[i][0] != '.' || o.exts[i][1] == '\0')
				abort();
		if (o.npaths > (size_t)argc)
			abort();
	}
	options_free(&o);
	free(buf);
	return 0;
}
