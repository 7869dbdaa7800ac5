/*
 * fuzz_fstate.c: libFuzzer target for change detection. The input is a
 * script of operations on one file (write, truncate, rename over, delete,
 * chmod, set an old mtime), with the bytes to write; after each, the file
 * is looked at again. The property: whenever the file's content differs from
 * what was last seen, or it came back, fstate_update reports a change;
 * whenever it went away, that it is gone. A save is never missed.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hotload.h"

static char file[64], tmp[64];

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/hotload-fuzz-XXXXXX";

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(file, sizeof file, "%s/f", dir);
	snprintf(tmp, sizeof tmp, "%s/f.tmp", dir);
	return 0;
}

static void
put(const char *path, const uint8_t *p, size_t n, int flags)
{
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);

	if (fd == -1)
		abort();
	if (n > 0 && write(fd, p, n) != (ssize_t)n)
		abort();
	close(fd);
}

/* The file's content, or NULL if it is missing; *len is its size. */
static uint8_t *
slurp(size_t *len)
{
	struct stat sb;
	uint8_t *buf;
	int fd = open(file, O_RDONLY);

	*len = 0;
	if (fd == -1)
		return NULL;
	fstat(fd, &sb);
	buf = malloc((size_t)sb.st_size + 1);
	*len = (size_t)read(fd, buf, (size_t)sb.st_size);
	close(fd);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fstate st;
	struct timespec old[2] = {{1000000000, 0}, {1000000000, 0}};
	uint8_t *seen, *now;
	size_t seen_len, now_len, i = 0, n;
	enum fchange c;

	unlink(file);
	put(file, (const uint8_t *)"start", 5, O_TRUNC);
	fstate_read(&st, file, now_ns());
	seen = slurp(&seen_len);
	while (i < size) {
		uint8_t op = data[i++];

		n = i < size ? data[i++] % 16 : 0;
		if (n > size - i)
			n = size - i;
		switch (op % 7) {
		case 0: /* write in place, as most editors do */
			put(file, data + i, n, O_TRUNC);
			break;
		case 1: /* append */
			put(file, data + i, n, O_APPEND);
			break;
		case 2: /* write a new file, rename it over */
			put(tmp, data + i, n, O_TRUNC);
			rename(tmp, file);
			break;
		case 3:
			unlink(file);
			break;
		case 4:
			chmod(file, 0600 | (op & 0044));
			break;
		case 5: /* cp -p: an old modification time */
			utimensat(AT_FDCWD, file, old, 0);
			break;
		case 6: /* write the same size, other bytes */
			if (seen != NULL) {
				uint8_t *other = malloc(seen_len + 1);

				for (size_t k = 0; k < seen_len; k++)
					other[k] = seen[k] ^ (uint8_t)(op | 1);
				put(file, other, seen_len, O_TRUNC);
				free(other);
			}
			break;
		}
		i += n;
		now = slurp(&now_len);
		c = fstate_update(&st, file, now_ns());
		if (now == NULL && seen != NULL && c != FS_GONE)
			abort(); /* gone, unnoticed */
		if (now != NULL && seen == NULL && c != FS_CHANGED)
			abort(); /* back, unnoticed */
		if (now != NULL && seen != NULL &&
		    (now_len != seen_len || memcmp(now, seen, now_len) != 0) &&
		    c != FS_CHANGED)
			abort(); /* new content, unnoticed */
		free(seen);
		seen = now;
		seen_len = now_len;
	}
	free(seen);
	return 0;
}
