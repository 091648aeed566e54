/*
 * Masking passwords in text that may quote a connection string; see
 * mask.h.  The text is copied once and rebuilt, so a mask never overlaps
 * what it replaces, and the result is truncated only at `size`.
 */
#include "mask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MASK "***"

/* Where an unquoted value (or a URI's userinfo) ends. */
static int ends_value(char c)
{
	return c == '\0' || c == ' ' || c == '\t' || c == '\n' || c == '"' ||
	       c == '&' || c == '#';
}

/* In "scheme://user:pass@host", the span of "pass", if any. */
static int uri_password(const char *p, size_t *skip, size_t *len)
{
	const char *at = NULL, *colon = NULL, *q;

	for (q = p; !ends_value(*q) && *q != '/' && *q != '?'; q++)
		if (*q == '@')
			at = q;
	if (!at)
		return 0;
	for (q = p; q < at; q++)
		if (*q == ':') {
			colon = q;
			break;
		}
	if (!colon)
		return 0;
	*skip = (size_t)(colon + 1 - p);
	*len = (size_t)(at - colon - 1);
	return 1;
}

/* After "password=": the span of the value, quoted or not. */
static size_t value_length(const char *p)
{
	const char *q = p;

	while (*q == ' ')
		q++;
	if (*q == '\'') {
		for (q++; *q && *q != '\''; q++)
			if (*q == '\\' && q[1])
				q++;
		return (size_t)(q - p) + (*q == '\'');
	}
	while (!ends_value(*q) && *q != '\'')
		q++;
	return (size_t)(q - p);
}

static void put(char *out, size_t size, size_t *n, const char *s, size_t len)
{
	while (len-- && *n + 1 < size)
		out[(*n)++] = *s++;
}

void pgv_mask_secrets(char *s, size_t size)
{
	char *in = s && size ? strdup(s) : NULL;
	size_t n = 0, skip, len;

	if (!in) {
		if (s && size)
			s[0] = '\0'; /* out of memory: say nothing rather */
		return;
	}
	for (const char *p = in; *p;) {
		if (strncmp(p, "://", 3) == 0 &&
		    uri_password(p + 3, &skip, &len)) {
			put(s, size, &n, p, 3 + skip);
			put(s, size, &n, MASK, strlen(MASK));
			p += 3 + skip + len;
		} else if (strncasecmp(p, "password=", 9) == 0) {
			len = value_length(p + 9);
			put(s, size, &n, p, 9);
			put(s, size, &n, len ? MASK : "",
			    len ? strlen(MASK) : 0);
			p += 9 + len;
		} else {
			put(s, size, &n, p++, 1);
		}
	}
	s[n] = '\0';
	explicit_bzero(in, strlen(in));
	free(in);
}

void pgv_escape_controls(char *s, size_t size)
{
	size_t len = strlen(s);

	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		char hex[5];
		if (c >= 0x20 && c != 0x7f)
			continue;
		/* Room for 3 more bytes, else cut here. */
		if (len + 3 >= size) {
			s[i] = '\0';
			return;
		}
		snprintf(hex, sizeof(hex), "\\x%02x", c);
		memmove(s + i + 4, s + i + 1, len - i);
		memcpy(s + i, hex, 4);
		len += 3;
		i += 3;
	}
}

void pgv_cut_libpq_quote(char *msg, size_t size)
{
	static const char note[] =
	    " (libpq's message is cut where it quotes the options, which may "
	    "hold a password)";
	char *quote = strchr(msg, '"');
	size_t len;

	msg[strcspn(msg, "\n")] = '\0';
	if (!quote)
		return;
	*quote = '\0';
	len = strlen(msg);
	while (len && (msg[len - 1] == ' ' || msg[len - 1] == ':'))
		msg[--len] = '\0';
	if (len + sizeof(note) <= size)
		memcpy(msg + len, note, sizeof(note));
}
