/* Opening the files pgverify reads, without blocking on FIFOs or devices. */
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *pgv_open_regular(const char *path, const char **why)
{
	/* O_NONBLOCK: opening a FIFO with no writer must not wait for one. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	FILE *fp;

	if (fd < 0) {
		*why = strerror(errno);
		return NULL;
	}
	if (fstat(fd, &st) < 0)
		*why = strerror(errno);
	else if (!S_ISREG(st.st_mode))
		*why = "not a regular file";
	else if (!(fp = fdopen(fd, "r")))
		*why = strerror(errno);
	else
		return fp;
	close(fd);
	return NULL;
}

int pgv_same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* `path` (a file, or a directory above one) is as OpenSSH's StrictModes
 * wants it; 0, or -1 with what to run in `err`. */
static int trusted_inode(const char *path, int dir, char *err, size_t errlen)
{
	struct stat st;
	uid_t me = geteuid();

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return -1;
	}
	if (st.st_uid != 0 && st.st_uid != me) {
		snprintf(err, errlen,
			 "%s%s is owned by uid %u, neither root nor this user; "
			 "run chown root %s",
			 dir ? "the directory " : "", path, (unsigned)st.st_uid,
			 path);
		return -1;
	}
	/* A root-owned directory with the sticky bit (/tmp) lets nobody
	 * replace what others own in it. */
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) &&
	    !(dir && st.st_uid == 0 && (st.st_mode & S_ISVTX))) {
		snprintf(err, errlen,
			 "%s%s is writable by group or others (mode %04o); run "
			 "chmod go-w %s",
			 dir ? "the directory " : "", path,
			 (unsigned)(st.st_mode & 07777), path);
		return -1;
	}
	return 0;
}

/* Each directory above `path`, as written (a symbolic link's directory
 * decides where it points). */
static int trusted_dirs(const char *path, char *err, size_t errlen)
{
	char dir[PATH_MAX];
	char *slash;

	if (snprintf(dir, sizeof(dir), "%s", path) >= (int)sizeof(dir)) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	while ((slash = strrchr(dir, '/'))) {
		slash[slash == dir] = '\0';
		if (trusted_inode(dir, 1, err, errlen) < 0)
			return -1;
		if (slash == dir)
			break;
	}
	return 0;
}

int pgv_file_trusted(const char *path, char *err, size_t errlen)
{
	char real[PATH_MAX], named[PATH_MAX], cwd[PATH_MAX];

	/* A relative name (pgverify check -c FILE) is the working
	 * directory's. */
	if (path[0] != '/' && (!getcwd(cwd, sizeof(cwd)) ||
			       snprintf(named, sizeof(named), "%s/%s", cwd,
					path) >= (int)sizeof(named))) {
		snprintf(err, errlen, "%s: cannot tell its directory", path);
		return -1;
	}
	if (path[0] != '/')
		path = named;
	if (!realpath(path, real)) {
		snprintf(err, errlen, "cannot read %s: %s", path,
			 strerror(errno));
		return -1;
	}
	return trusted_inode(real, 0, err, errlen) < 0 ||
		       trusted_dirs(path, err, errlen) < 0 ||
		       trusted_dirs(real, err, errlen) < 0
		   ? -1
		   : 0;
}
