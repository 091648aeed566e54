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

/*
 * Control characters in `s` (a newline in a host name, an escape
 * sequence) become "\xNN", in place, as far as `size` allows (what does
 * not fit is cut): no value pgverify prints can start a line of its own.
 */
void pgv_escape_controls(char *s, size_t size);

/*
 * libpq's message about options it cannot parse, without the part where
 * it quotes them (which may hold a password, in any form a URI allows):
 * everything from its first double quote on is cut, and the message says
 * so.  `msg` is rewritten in place.
 */
void pgv_cut_libpq_quote(char *msg, size_t size);

#endif
