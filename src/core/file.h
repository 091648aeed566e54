/* Opening the files pgverify reads: configuration and CA bundles. */
#ifndef PGV_FILE_H
#define PGV_FILE_H

#include <stdio.h>
#include <sys/stat.h>

/*
 * Open `path` for reading if it is a regular file.  A FIFO or a device
 * would block or never end, inside someone else's connect call; those are
 * refused.  Returns NULL with `*why` set to a static text.
 */
FILE *pgv_open_regular(const char *path, const char **why);

/* Whether two stat results name the same file, unchanged: device, inode,
 * size and modification time (what the bundle caches key on). */
int pgv_same_file(const struct stat *a, const struct stat *b);

/*
 * Whether a file pgverify trusts (its configuration, a CA bundle or region
 * file the configuration names) could have been written by someone other
 * than root or this user: the file (where it resolves to) and every
 * directory above it, as named and as resolved, must be owned by root or
 * this user and writable by nobody else (a root-owned sticky directory,
 * /tmp, is safe).  0, or -1 with the file and the chmod/chown that fixes
 * it in `err`.
 */
int pgv_file_trusted(const char *path, char *err, size_t errlen);

#endif
