/* test_changes.c: the set of files changed in a round (watch.c). */
#include <stdlib.h>

#include "check.h"
#include "hotload.h"

/* Is i among the indexes of c? */
static int
has(const struct changes *c, size_t i)
{
	size_t k;

	for (k = 0; k < c->n; k++)
		if (c->idx[k] == i)
			return 1;
	return 0;
}

static void
test_dedupe(void)
{
	struct changes c = {0};

	changes_add(&c, 3);
	changes_add(&c, 0);
	changes_add(&c, 3);
	changes_add(&c, 5);
	changes_add(&c, 0);
	CHECK(c.n == 3);
	if (c.n == 3) {
		/* In the order first seen. */
		CHECK(c.idx[0] == 3);
		CHECK(c.idx[1] == 0);
		CHECK(c.idx[2] == 5);
	}
	CHECK(c.nmark > 5);
	CHECK(c.mark[3] && c.mark[0] && c.mark[5]);
	CHECK(!c.mark[1] && !c.mark[4]);

	changes_clear(&c);
	CHECK(c.n == 0);
	CHECK(!c.mark[3] && !c.mark[0] && !c.mark[5]);
	/* After a clear, the same indexes are new again. */
	changes_add(&c, 5);
	changes_add(&c, 3);
	changes_add(&c, 5);
	CHECK(c.n == 2);
	CHECK(c.n >= 2 && c.idx[0] == 5 && c.idx[1] == 3);
	CHECK(!has(&c, 0));
	changes_free(&c);
	CHECK(c.n == 0 && c.idx == NULL && c.mark == NULL && c.nmark == 0);

	/* Clearing an empty set is harmless. */
	changes_clear(&c);
	CHECK(c.n == 0);
	changes_free(&c);
}

static void
test_many(void)
{
	struct changes c = {0};
	size_t i, bad = 0, marked = 0;

	/* Indexes far past the first allocation, including the edges. */
	changes_add(&c, 63);
	changes_add(&c, 64);
	changes_add(&c, 1000000);
	changes_add(&c, 64);
	changes_add(&c, 999999);
	CHECK(c.n == 4);
	CHECK(c.nmark > 1000000);
	CHECK(has(&c, 63) && has(&c, 64) && has(&c, 1000000) &&
	      has(&c, 999999));
	CHECK(!has(&c, 65) && !has(&c, 0));
	changes_clear(&c);
	for (i = 0; i < c.nmark; i++)
		marked += c.mark[i] != 0;
	CHECK(marked == 0);

	/* Every index once, then every index again: no duplicates. */
	for (i = 0; i < 50000; i++)
		changes_add(&c, i * 7 % 50000);
	for (i = 0; i < 50000; i++)
		changes_add(&c, i);
	CHECK(c.n == 50000);
	for (i = 0; i < c.n && i < 50000; i++)
		bad += c.idx[i] != i * 7 % 50000;
	CHECK(bad == 0);
	changes_clear(&c);
	marked = 0;
	for (i = 0; i < c.nmark; i++)
		marked += c.mark[i] != 0;
	CHECK(marked == 0);
	changes_free(&c);
}

int
main(void)
{
	test_dedupe();
	test_many();
	return CHECK_DONE();
}
