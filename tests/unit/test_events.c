/* test_events.c: the lines --events writes, on rounds made up here. */
#include <stdlib.h>
#include <unistd.h>

#include "check.h"
#include "hotload.h"

static char path[] = "/tmp/hotload-test-events-XXXXXX";

/* What the file holds now; the caller frees it. */
static char *
slurp(void)
{
	FILE *fp = fopen(path, "rb");
	char *text = xcalloc(1, 65536);

	if (fp != NULL) {
		text[fread(text, 1, 65535, fp)] = '\0';
		fclose(fp);
	}
	return text;
}

/* Does text hold want? Say so if not. */
static int
holds(const char *text, const char *want)
{
	if (strstr(text, want) != NULL)
		return 1;
	fprintf(stderr, "%s\nlacks\n%s\n", text, want);
	return 0;
}

static void
test_a_round(void)
{
	struct entry files[2];
	struct filelist fl;
	struct changes chg = {0};
	struct step steps[3];
	struct options o;
	struct round r;
	size_t idx[2] = {1, 0};
	char *text;

	memset(files, 0, sizeof files);
	files[0].name = "lib.py";
	files[1].name = "d/caf\xc3\xa9\xff \"q\"\\\t\033.py";
	memset(&fl, 0, sizeof fl);
	fl.v = files;
	fl.n = 2;
	chg.idx = idx;
	chg.n = 2;
	memset(steps, 0, sizeof steps);
	steps[0].kind = STEP_MODULE;
	steps[0].label = "lib";
	steps[0].result.status = STEP_FAILED;
	steps[0].result.took_ns = 1500000;
	strcpy(steps[0].result.detail, "post-hook main: ValueError");
	strcpy(steps[0].result.error_type, "ValueError");
	strcpy(steps[0].result.error_message, "bad \xe9 \"x\"\n");
	strcpy(steps[0].result.error_file, "/w/lib.py");
	steps[0].result.error_line = 7;
	steps[1].kind = STEP_RUN;
	steps[1].label = "'make'";
	steps[1].result.status = STEP_OK;
	strcpy(steps[1].result.detail, "exit 0");
	steps[2].kind = STEP_RUN;
	steps[2].label = "'never'";
	steps[2].result.status = -1; /* did not run */
	options_init(&o);
	o.steps = steps;
	o.nsteps = 3;
	memset(&r, 0, sizeof r);
	r.opt = &o;
	r.files = &fl;
	r.chg = &chg;
	r.count = 12;
	r.start = mono_ns();
	r.wall = (int64_t)1700000000 * 1000000000 + 123456789;

	events_write(path, &r, STEP_FAILED);
	text = slurp();
	CHECK(holds(text,
	            "{\"round\":12,\"start\":\"2023-11-14T22:13:20.123Z\","
	            "\"duration_ms\":"));
	CHECK(holds(text, ",\"status\":\"failed\",\"changed\":[\"d/caf\xc3\xa9"
	                  "\\udcff \\\"q\\\"\\\\\\t\\u001b.py\",\"lib.py\"],"
	                  "\"steps\":[{\"label\":\"lib\",\"kind\":\"module\","
	                  "\"status\":\"failed\",\"duration_ms\":1.500,"
	                  "\"detail\":\"post-hook main: ValueError\","
	                  "\"error\":{\"type\":\"ValueError\",\"message\":"
	                  "\"bad \\udce9 \\\"x\\\"\\n\",\"file\":\"/w/lib.py\","
	                  "\"line\":7}},{\"label\":\"'make'\",\"kind\":"
	                  "\"command\",\"status\":\"ok\",\"duration_ms\":0.000,"
	                  "\"detail\":\"ok\",\"error\":null}]}\n"));
	CHECK(strchr(text, '\n') == text + strlen(text) - 1);
	free(text);

	/* Appended: a second line, for a round with no changes. */
	r.chg = NULL;
	r.count = 13;
	steps[0].result.error_file[0] = '\0';
	steps[0].result.error_line = 0;
	events_write(path, &r, STEP_RESTART);
	text = slurp();
	CHECK(holds(text, "\"line\":7}}"));
	CHECK(holds(text, "}\n{\"round\":13,"));
	CHECK(holds(text, "\"status\":\"restarted\",\"changed\":[],"));
	CHECK(holds(text, "\"file\":null,\"line\":null}}"));
	free(text);
}

int
main(void)
{
	int fd = mkstemp(path);

	if (fd == -1) {
		perror("mkstemp");
		return 1;
	}
	close(fd);
	test_a_round();
	unlink(path);
	return CHECK_DONE();
}
