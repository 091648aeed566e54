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

#endif
