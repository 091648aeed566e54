/* Passwords out of every string pgverify writes or hands on. */
#ifndef PGV_MASK_H
#define PGV_MASK_H

#include <stddef.h>

/*
 * Replace, in the NUL-terminated `s` (of buffer size `size`), the password
 * of every URI ("scheme://user:PASSWORD@host") and every value of a
 * password keyword ("password=VALUE", quoted or not, in a conninfo string
 * or a URI query) with "***".  libpq's parse errors quote the connection
 * string they failed on; this is what runs over them.
 */
void pgv_mask_secrets(char *s, size_t size);

#endif
