#include "json.h"

void json_init(struct json *j, FILE *out)
{
	j->out = out;
	j->depth = 0;
	j->count[0] = 0;
}

/* The length of the well-formed UTF-8 sequence at `p`, or 0. */
static size_t utf8_length(const unsigned char *p)
{
	size_t n = *p >= 0xc2 && *p <= 0xdf   ? 2
		   : *p >= 0xe0 && *p <= 0xef ? 3
		   : *p >= 0xf0 && *p <= 0xf4 ? 4
					      : 0;

	for (size_t i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

static void put_string(FILE *out, const char *s)
{
	size_t n;

	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p == '\n')
			fputs("\\n", out);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else if (*p < 0x80)
			putc(*p, out);
		else if ((n = utf8_length(p)) > 0) {
			fwrite(p, 1, n, out);
			p += n - 1;
		} else
			fputs("\\ufffd", out);
	}
	putc('"', out);
}

/* The comma and the key before a value. */
static void member(struct json *j, const char *key)
{
	if (j->count[j->depth]++)
		putc(',', j->out);
	if (key) {
		put_string(j->out, key);
		putc(':', j->out);
	}
}

void json_open(struct json *j, const char *key, char bracket)
{
	if (j->depth > 0 || j->count[0] > 0)
		member(j, key);
	putc(bracket, j->out);
	if (j->depth < 31)
		j->count[++j->depth] = 0;
}

void json_close(struct json *j, char bracket)
{
	putc(bracket, j->out);
	if (j->depth > 0)
		j->depth--;
}

void json_str(struct json *j, const char *key, const char *value)
{
	member(j, key);
	if (value)
		put_string(j->out, value);
	else
		fputs("null", j->out);
}

void json_int(struct json *j, const char *key, long long value)
{
	member(j, key);
	fprintf(j->out, "%lld", value);
}

void json_bool(struct json *j, const char *key, int value)
{
	member(j, key);
	fputs(value ? "true" : "false", j->out);
}

void json_end(struct json *j)
{
	putc('\n', j->out);
	fflush(j->out);
}
