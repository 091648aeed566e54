/*
 * A minimal JSON writer for --json and audit records: one document, keys in
 * a fixed order.  Strings are escaped per RFC 8259; valid UTF-8 passes
 * through, any other byte becomes U+FFFD, so every document parses.
 */
#ifndef PGV_JSON_H
#define PGV_JSON_H

#include <stdio.h>

struct json {
	FILE *out;
	int depth;
	int count[32]; /* members written so far at each depth */
};

void json_init(struct json *j, FILE *out);
/* Open an object ('{') or array ('['), as member `key` (NULL in arrays). */
void json_open(struct json *j, const char *key, char bracket);
void json_close(struct json *j, char bracket);
void json_str(struct json *j, const char *key, const char *value);
void json_int(struct json *j, const char *key, long long value);
void json_bool(struct json *j, const char *key, int value);
/* Close the document with a newline. */
void json_end(struct json *j);

#endif
