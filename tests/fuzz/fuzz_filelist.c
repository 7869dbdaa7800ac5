/*
 * fuzz_filelist.c: libFuzzer target for the file list read from stdin. The
 * first byte picks the separator (NUL or newline) and an ending to keep; the
 * rest is the list, read in a small tree made for the run. Whatever it holds,
 * every path kept must be absolute and clean, listed once, and found again
 * under its own name; path_join_clean gets the raw input too.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

static void
make(const char *path, bool dir)
{
	int fd;

	if (dir) {
		mkdir(path, 0755);
		return;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd != -1)
		close(fd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char tree[] = "/tmp/hotload-fuzz-XXXXXX";

	(void)argc;
	(void)argv;
	if (mkdtemp(tree) == NULL || chdir(tree) != 0)
		abort();
	make("src", true);
	make("src/sub", true);
	make(".hidden", true);
	make("a.py", false);
	make("b.txt", false);
	make("src/c.py", false);
	make("src/sub/d.py", false);
	make(".hidden/e.py", false);
	if (symlink("a.py", "link.py") != 0 || symlink("src", "dirlink") != 0 ||
	    symlink("loop", "loop") != 0)
		abort();
	mkfifo("fifo", 0644);
	return 0;
}

/* Paths that leave the tree would have the fuzzer walk the machine. */
static bool
stays_in_tree(const uint8_t *data, size_t size)
{
	size_t i;

	for (i = 0; i < size; i++)
		if (data[i] == '/' && (i == 0 || data[i - 1] == '\n' ||
				       data[i - 1] == '\0'))
			return false;
	for (i = 0; i + 1 < size; i++)
		if (data[i] == '.' && data[i + 1] == '.')
			return false;
	return true;
}

static void
check_list(struct filelist *fl)
{
	size_t i;

	for (i = 0; i < fl->n; i++) {
		const struct entry *e = &fl->v[i];

		if (e->path[0] != '/' || strstr(e->path, "//") ||
		    strstr(e->path, "/./") || strcmp(e->path, "/") == 0)
			abort();
		if (strmap_get(&fl->index, e->path) != i)
			abort();
		if (e->name != e->path &&
		    strcmp(e->path + strlen(e->path) - strlen(e->name),
			   e->name) != 0)
			abort();
		if (e->dir >= fl->ndirs)
			abort();
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char *const exts[] = {".py"};
	struct filelist fl;
	char *raw, *joined;
	FILE *fp;
	int sep;

	if (size == 0)
		return 0;
	raw = malloc(size);
	memcpy(raw, data + 1, size - 1);
	raw[size - 1] = '\0';
	joined = path_join_clean("/base/dir", 9, raw);
	if (joined[0] != '/' || strstr(joined, "//") != NULL)
		abort();
	free(joined);
	free(raw);

	if (!stays_in_tree(data + 1, size - 1))
		return 0;
	sep = data[0] & 1 ? '\0' : '\n';
	filelist_init(&fl, exts, data[0] & 2 ? 1 : 0);
	fp = fmemopen((void *)(data + 1), size - 1 ? size - 1 : 1, "r");
	if (fp != NULL) {
		filelist_read(&fl, fp, sep);
		fclose(fp);
	}
	filelist_stat_all(&fl);
	check_list(&fl);
	filelist_free(&fl);
	return 0;
}
