/*
 * The hosts of a connection, paired as libpq pairs them: the host and
 * hostaddr lists element by element (libpq splits them on bare commas), and
 * the port list likewise unless it has a single element for every host.
 */
#include "core.h"

#include <string.h>

static size_t list_length(const char *list)
{
	size_t n = 1;

	if (!list || !*list)
		return 0;
	for (; *list; list++)
		n += *list == ',';
	return n;
}

/* Copy the next element at *cursor into buf; -1 if it does not fit. */
static int next_item(const char **cursor, char *buf, size_t len)
{
	const char *p = *cursor ? *cursor : "";
	size_t n = strcspn(p, ",");

	if (n >= len)
		return -1;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*cursor = p[n] == ',' ? p + n + 1 : p + n;
	return 0;
}

/*
 * A port element as libpq reads it (strtol: blanks, then digits), without
 * its blanks and leading zeros, so that "0000...5432" fits as "5432".  The
 * policy never reads the port; only where to connect (probe) does.  One
 * that still does not fit is no port libpq accepts: it is kept empty.
 */
static void copy_port(const char *p, size_t n, char *buf, size_t len)
{
	while (n && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	while (n > 1 && p[0] == '0' && p[1] >= '0' && p[1] <= '9') {
		p++;
		n--;
	}
	if (n >= len)
		n = 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
}

static void next_port(const char **cursor, int one_port, char *buf, size_t len)
{
	const char *p = *cursor ? *cursor : "";
	size_t n = one_port ? strlen(p) : strcspn(p, ",");

	copy_port(p, n, buf, len);
	if (!one_port)
		*cursor = p[n] == ',' ? p + n + 1 : p + n;
}

/* libpq treats an absolute path or an '@' (abstract socket) as a socket. */
static int is_socket_path(const char *host)
{
	return host[0] == '/' || host[0] == '@';
}

int pgv_hosts_begin(const pgverify_settings *s, pgv_hosts *it)
{
	size_t nhost = list_length(s->host), naddr = list_length(s->hostaddr);

	memset(it, 0, sizeof(*it));
	it->host = s->host;
	it->addr = s->hostaddr;
	it->port = s->port;
	it->one_port = list_length(s->port) <= 1;
	it->count = nhost ? nhost : naddr ? naddr : 1;
	return nhost && naddr && nhost != naddr ? -1 : 0;
}

int pgv_hosts_next(pgv_hosts *it, pgv_host *h)
{
	if (it->done >= it->count)
		return 0;
	it->done++;
	if (next_item(&it->host, h->host, sizeof(h->host)) < 0 ||
	    next_item(&it->addr, h->addr, sizeof(h->addr)) < 0)
		return -1;
	next_port(&it->port, it->one_port, h->port, sizeof(h->port));
	/* With hostaddr, host is only the name to verify: a socket path
	 * there is no name at all.  Without hostaddr it says where to go. */
	h->named = h->host[0] && !is_socket_path(h->host);
	h->tcp = h->addr[0] || h->named;
	h->name = h->named ? h->host : h->addr;
	return 1;
}
