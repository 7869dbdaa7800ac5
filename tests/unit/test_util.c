/* test_util.c: the string map, path cleaning and hashing. */
#include <stdlib.h>

#include "check.h"
#include "hotload.h"

#define NKEYS 100000

/* Check that path_join_clean(dir, strlen(dir), path) gives want. */
static void
check_join(const char *dir, const char *path, const char *want)
{
	char *got = path_join_clean(dir, strlen(dir), path);

	CHECK_STR(got, want);
	free(got);
}

static void
test_path_join_clean(void)
{
	check_join("/home/u", "a", "/home/u/a");
	check_join("/home/u", "a/b.py", "/home/u/a/b.py");
	check_join("/home/u", "./a//b/./c/", "/home/u/a/b/c");
	check_join("/home/u", "a/.", "/home/u/a");
	check_join("/home/u", ".", "/home/u");
	check_join("/home/u", "./", "/home/u");
	check_join("/home/u", "", "/home/u");
	check_join("/home/u", "..", "/home/u/..");
	check_join("/home/u", "../x/../y", "/home/u/../x/../y");
	check_join("/home/u", ".hidden/...", "/home/u/.hidden/...");
	check_join("/home/u", "a/.b/..c", "/home/u/a/.b/..c");
	check_join("/home/u", "/x/y", "/x/y");
	check_join("/home/u", "//x///y/", "/x/y");
	check_join("/home/u", "/./x/./", "/x");
	check_join("/home/u", "/", "/");
	check_join("/home/u", "/.", "/");
	check_join("/home/u", "///", "/");
	check_join("/home/u", "/..", "/..");
	check_join("/", "a", "/a");
	check_join("/", "./a/", "/a");
	check_join("/", ".", "/");
	check_join("/", "", "/");
	check_join("/", "..", "/..");
	check_join("/", "/b", "/b");
	check_join("/home/u", "a b/c\nd", "/home/u/a b/c\nd");

	/* Only dirlen bytes of dir are used. */
	{
		char *got = path_join_clean("/home/user", 7, "x");

		CHECK_STR(got, "/home/u/x");
		free(got);
		got = path_join_clean("/home/user", 1, "./x");
		CHECK_STR(got, "/x");
		free(got);
	}
}

static void
test_hash(void)
{
	/* 64-bit FNV-1a: the offset basis, and the published value of "a". */
	CHECK(hash_bytes(0, "", 0) == 0xcbf29ce484222325ULL);
	CHECK(hash_bytes(0, "a", 1) == 0xaf63dc4c8601ec8cULL);
	CHECK(hash_bytes(0, "foobar", 6) == 0x85944171f73967e8ULL);
	/* A hash continues over pieces. */
	CHECK(hash_bytes(hash_bytes(0, "foo", 3), "bar", 3) ==
	      hash_bytes(0, "foobar", 6));
	CHECK(hash_bytes(0, "ab", 2) != hash_bytes(0, "ba", 2));
	CHECK(hash_bytes(0, "a\0", 2) != hash_bytes(0, "a", 1));
}

static void
test_strmap(void)
{
	struct strmap m = {0};
	char(*keys)[16] = xcalloc(NKEYS, sizeof *keys);
	char probe[16];
	size_t i, bad = 0;

	CHECK(strmap_get(&m, "x") == STRMAP_NONE);
	CHECK(strmap_get(&m, "") == STRMAP_NONE);

	strmap_put(&m, "one", 1);
	CHECK(m.len == 1);
	CHECK(m.cap >= 2 && (m.cap & (m.cap - 1)) == 0);
	CHECK(strmap_get(&m, "one") == 1);
	CHECK(strmap_get(&m, "on") == STRMAP_NONE);
	CHECK(strmap_get(&m, "one ") == STRMAP_NONE);
	strmap_put(&m, "one", 11);
	CHECK(m.len == 1);
	CHECK(strmap_get(&m, "one") == 11);
	/* Keys are compared by content, not by pointer. */
	strcpy(probe, "one");
	CHECK(strmap_get(&m, probe) == 11);
	strmap_put(&m, "", 0);
	CHECK(strmap_get(&m, "") == 0);
	CHECK(m.len == 2);
	strmap_free(&m);
	CHECK(m.len == 0 && m.cap == 0 && m.keys == NULL);
	CHECK(strmap_get(&m, "one") == STRMAP_NONE);

	for (i = 0; i < NKEYS; i++) {
		snprintf(keys[i], sizeof keys[i], "/k/%zu", i);
		strmap_put(&m, keys[i], i * 3);
	}
	CHECK(m.len == NKEYS);
	CHECK(m.cap >= 2 * NKEYS);
	for (i = 0; i < NKEYS; i++)
		bad += strmap_get(&m, keys[i]) != i * 3;
	CHECK(bad == 0);

	/* Overwrite every other value, through a copy of the key. */
	for (i = 0; i < NKEYS; i += 2) {
		snprintf(probe, sizeof probe, "/k/%zu", i);
		strmap_put(&m, probe, i + 7);
	}
	CHECK(m.len == NKEYS);
	bad = 0;
	for (i = 0; i < NKEYS; i++)
		bad += strmap_get(&m, keys[i]) != (i % 2 ? i * 3 : i + 7);
	CHECK(bad == 0);

	bad = 0;
	for (i = NKEYS; i < 2 * NKEYS; i++) {
		snprintf(probe, sizeof probe, "/k/%zu", i);
		bad += strmap_get(&m, probe) != STRMAP_NONE;
	}
	CHECK(bad == 0);
	CHECK(strmap_get(&m, "/k/") == STRMAP_NONE);
	CHECK(strmap_get(&m, "k/1") == STRMAP_NONE);
	strmap_free(&m);
	free(keys);
}

/* Check that hl_escape(buf of len bytes, s) gives want. */
static void
check_escape(const char *s, size_t len, const char *want)
{
	char buf[256];

	CHECK_STR(hl_escape(buf, len, s), want);
}

static void
test_escape(void)
{
	char buf[8];

	check_escape("lib.py", 256, "lib.py");
	check_escape("", 256, "");
	check_escape("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d.py", 256,
	             "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d.py");
	/* A name that would retitle the terminal. */
	check_escape("a\033]0;PWNED\a.py", 256, "a\\033]0;PWNED\\a.py");
	check_escape("\b\t\n\v\f\r", 256, "\\b\\t\\n\\v\\f\\r");
	check_escape("\x01\x1f\x7f", 256, "\\001\\037\\177");
	check_escape("back\\slash", 256, "back\\slash");
	/* C1 controls, as UTF-8 (CSI is U+009B) and as a raw byte. */
	check_escape("x\302\2332J", 256, "x\\302\\2332J");
	check_escape("x\2332J", 256, "x\\2332J");
	check_escape("nbsp\xc2\xa0", 256, "nbsp\xc2\xa0");
	/* Bytes that are not UTF-8: stray, overlong, surrogate, cut short,
	 * past U+10FFFF. */
	check_escape("\xff", 256, "\\377");
	check_escape("\xc0\xaf", 256, "\\300\\257");
	check_escape("\xed\xa0\x80", 256, "\\355\\240\\200");
	check_escape("\xe2\x82", 256, "\\342\\202");
	check_escape("\xf4\x90\x80\x80", 256, "\\364\\220\\200\\200");
	/* Cut to fit, never inside an escape or a character. */
	check_escape("abcdefghij", 5, "abcd");
	check_escape("abc\033", 6, "abc");
	check_escape("abc\033", 8, "abc\\033");
	check_escape("ab\xc3\xa9", 4, "ab");
	CHECK(hl_escape(buf, 1, "x") == buf && buf[0] == '\0');
}

static void
test_utf8_len(void)
{
	CHECK(utf8_len("") == 0);
	CHECK(utf8_len("a") == 1);
	CHECK(utf8_len("\x1b") == 1);
	CHECK(utf8_len("\xc2\x9b") == 2);
	CHECK(utf8_len("\xe2\x82\xac") == 3);
	CHECK(utf8_len("\xf0\x9f\x90\x8d") == 4);
	CHECK(utf8_len("\xe0\x80\x80") == 0);
	CHECK(utf8_len("\xf0\x8f\xbf\xbf") == 0);
	CHECK(utf8_len("\x80") == 0);
	CHECK(utf8_len("\xc3") == 0);
}

int
main(void)
{
	test_escape();
	test_utf8_len();
	test_path_join_clean();
	test_hash();
	test_strmap();
	return CHECK_DONE();
}
