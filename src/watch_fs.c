/*
 * watch_fs.c: which file systems tell the kernel of every change to their
 * files. A local file system does: inotify reports each write. A network or
 * FUSE file system does not report the changes made on its other side (by
 * the server, the host of a virtual machine, the process behind a FUSE
 * mount), and its kernel client keeps the attributes it read for a while,
 * so that a plain stat() can show a changed file as it was. On Linux the
 * type comes from statfs(2); any type not known to be local counts as
 * remote. Elsewhere every file system counts as local.
 */
#define _GNU_SOURCE /* statx, AT_STATX_FORCE_SYNC */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#ifdef __linux__
#include <fcntl.h>
#include <sys/vfs.h>
#endif

#include "hotload.h"

#ifdef __linux__
/* A file system type, by the magic number statfs gives for it. */
struct fs_type {
	unsigned long magic;
	const char *name;
	bool local;
};

/* The types whose changes all pass through this kernel, and the remote
 * ones named in messages; the numbers are Linux's (statfs(2)). */
/* clang-format off */
static const struct fs_type fs_types[] = {
    {0xEF53, "ext4", true},
    {0x58465342, "xfs", true},
    {0x9123683E, "btrfs", true},
    {0x01021994, "tmpfs", true},
    {0x794C7630, "overlayfs", true},
    {0x858458F6, "ramfs", true},
    {0xF2F52010, "f2fs", true},
    {0x2FC12FC1, "zfs", true},
    {0xCA451A4E, "bcachefs", true},
    {0x3153464A, "jfs", true},
    {0x52654973, "reiserfs", true},
    {0xE0F5E1E2, "erofs", true},
    {0x73717368, "squashfs", true},
    {0x4D44, "vfat", true},
    {0x2011BAB0, "exfat", true},
    {0x5346544E, "ntfs", true},
    {0x7366746E, "ntfs3", true},
    {0x9660, "iso9660", true},
    {0x15013346, "udf", true},
    {0x4244, "hfs", true},
    {0x482B, "hfsplus", true},
    {0x3434, "nilfs", true},
    {0xF15F, "ecryptfs", true},
    {0x6969, "nfs", false},
    {0x517B, "smb", false},
    {0xFF534D42, "smb", false},
    {0xFE534D42, "smb", false},
    {0x65735546, "fuse", false},
    {0x01021997, "9p", false},
    {0x786F4256, "vboxsf", false},
    {0x00C36400, "ceph", false},
    {0x5346414F, "afs", false},
    {0x6B414653, "afs", false},
    {0x73757245, "coda", false},
    {0x7461636F, "ocfs2", false},
    {0x01161970, "gfs2", false},
    {0x0BD00BD0, "lustre", false},
    {0x7C7C6673, "prl_fs", false},
};
/* clang-format on */
#define NTYPES (sizeof fs_types / sizeof fs_types[0])
#endif

/*
 * Classify the file system that holds path (a directory), and name its type
 * in name (len bytes): "fuse", or "unknown (0x1234abcd)". Returns
 * WATCH_FS_UNKNOWN, with an empty name, when path cannot be looked at.
 */
enum watch_fs
watch_fs_kind(const char *path, char *name, size_t len)
{
#ifdef __linux__
	struct statfs sf;
	unsigned long magic;
	size_t i;

	name[0] = '\0';
	if (statfs(path, &sf) != 0)
		return WATCH_FS_UNKNOWN;
	/* f_type's width varies; the magic numbers fit in 32 bits. */
	magic = (unsigned long)sf.f_type & 0xFFFFFFFFUL;
	for (i = 0; i < NTYPES; i++)
		if (fs_types[i].magic == magic) {
			snprintf(name, len, "%s", fs_types[i].name);
			return fs_types[i].local ? WATCH_FS_LOCAL
			                         : WATCH_FS_REMOTE;
		}
	snprintf(name, len, "unknown (0x%lx)", magic);
	return WATCH_FS_REMOTE;
#else
	snprintf(name, len, "local");
	(void)path;
	return WATCH_FS_LOCAL;
#endif
}

/*
 * Make the kernel ask the file system for path's attributes now, instead of
 * answering the next stat() from what it kept (a FUSE mount keeps them for
 * a second by default, an NFS client for longer).
 */
void
watch_fs_refresh(const char *path)
{
#if defined(__linux__) && defined(AT_STATX_FORCE_SYNC)
	struct statx sx;

	(void)statx(AT_FDCWD, path, AT_STATX_FORCE_SYNC, STATX_BASIC_STATS,
	            &sx);
#else
	(void)path;
#endif
}
