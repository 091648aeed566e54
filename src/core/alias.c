/* Hosts verified under a rule's verify_name; see alias.h. */
#include "alias.h"
#include "core.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* The three lists as they grow. */
struct lists {
	FILE *f[3];
	char *buf[3];
	size_t len[3];
	size_t n; /* entries so far */
};

static void emit(struct lists *l, const char *host, const char *addr,
		 const char *port)
{
	const char *v[3] = {host, addr, port};

	for (int i = 0; i < 3; i++)
		fprintf(l->f[i], "%s%s", l->n ? "," : "", v[i]);
	l->n++;
}

/* One entry per address of `h`'s name, each to be checked as `name`. */
static int emit_resolved(struct lists *l, const pgv_host *h, const char *name,
			 char *err, size_t errlen)
{
	struct addrinfo hints = {.ai_family = AF_UNSPEC,
				 .ai_socktype = SOCK_STREAM},
			*res, *a;
	char addr[INET6_ADDRSTRLEN];
	size_t before = l->n;
	int rc = getaddrinfo(h->host, NULL, &hints, &res);

	if (rc != 0) {
		snprintf(err, errlen,
			 "cannot resolve %s, which a hosts rule verifies as "
			 "%s: %s",
			 h->host, name, gai_strerror(rc));
		return -1;
	}
	for (a = res; a; a = a->ai_next)
		if (getnameinfo(a->ai_addr, a->ai_addrlen, addr, sizeof(addr),
				NULL, 0, NI_NUMERICHOST) == 0)
			emit(l, name, addr, h->port);
	freeaddrinfo(res);
	if (l->n == before) {
		/* An empty list would send libpq to the default socket. */
		snprintf(err, errlen,
			 "%s, which a hosts rule verifies as %s, "
			 "has no address",
			 h->host, name);
		return -1;
	}
	return 0;
}

static int walk(const pgverify_config *cfg, const pgverify_settings *s,
		struct lists *l, char *err, size_t errlen)
{
	const struct pgv_rule *r;
	pgv_hosts it;
	pgv_host h;
	int rc;

	if (pgv_hosts_begin(s, &it) < 0) {
		snprintf(err, errlen, "the host and hostaddr lists differ");
		return -1;
	}
	while ((rc = pgv_hosts_next(&it, &h)) > 0) {
		r = h.tcp ? pgv_rule_for(cfg, h.name) : NULL;
		if (!r || !r->verify_name)
			emit(l, h.host, h.addr, h.port);
		else if (h.addr[0])
			emit(l, r->verify_name, h.addr, h.port);
		else if (emit_resolved(l, &h, r->verify_name, err, errlen) < 0)
			return -1;
	}
	if (rc < 0)
		snprintf(err, errlen, "a host of the list is too long");
	return rc;
}

int pgv_alias_lists(const pgverify_config *cfg, const pgverify_settings *s,
		    struct pgv_alias_lists *out, char *err, size_t errlen)
{
	struct lists l = {0};
	int rc = 0;

	for (int i = 0; i < 3; i++)
		if (!(l.f[i] = open_memstream(&l.buf[i], &l.len[i])))
			rc = -1;
	if (rc < 0)
		snprintf(err, errlen, "out of memory");
	else
		rc = walk(cfg, s, &l, err, errlen);
	for (int i = 0; i < 3; i++)
		if (l.f[i] && fclose(l.f[i]) != 0 && rc == 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	out->host = l.buf[0];
	out->hostaddr = l.buf[1];
	out->port = l.buf[2];
	if (rc < 0)
		pgv_alias_free(out);
	return rc;
}

void pgv_alias_free(struct pgv_alias_lists *l)
{
	free(l->host);
	free(l->hostaddr);
	free(l->port);
	memset(l, 0, sizeof(*l));
}
