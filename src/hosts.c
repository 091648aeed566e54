/*
 * The hosts of a connection, paired as libpq pairs them: the host and
 * hostaddr lists element by element (libpq splits them on bare commas), and
 * the port list likewise unless it has a single element for every host.
 */
#include "pgverify.h"

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

/* libpq treats an absolute path or an '@' (abstract socket) as a socket. */
static int is_socket_path(const char *host)
{
	return host[0] == '/' || host[0] == '@';
}

int pgverify_hosts_begin(const pgverify_settings *s, pgverify_hosts *it)
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

int pgverify_hosts_next(pgverify_hosts *it, pgverify_host *h)
{
	if (it->done >= it->count)
		return 0;
	it->done++;
	if (next_item(&it->host, h->host, sizeof(h->host)) < 0 ||
	    next_item(&it->addr, h->addr, sizeof(h->addr)) < 0)
		return -1;
	if (it->one_port) {
		const char *p = it->port ? it->port : "";
		if (strlen(p) >= sizeof(h->port))
			return -1;
		strcpy(h->port, p);
	} else if (next_item(&it->port, h->port, sizeof(h->port)) < 0) {
		return -1;
	}
	/* With hostaddr, host is only the name to verify: a socket path
	 * there is no name at all.  Without hostaddr it says where to go. */
	h->named = h->host[0] && !is_socket_path(h->host);
	h->tcp = h->addr[0] || h->named;
	h->name = h->named ? h->host : h->addr;
	return 1;
}
