/* The key share offered first; see keyshare.h. */
#include "keyshare.h"
#include "forklock.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <unistd.h>

/* OpenSSL's own default groups, P-256 moved first: 1.1.1 knows no
 * finite-field groups by these names, 3.0 to 3.4 offer them last. */
static const char groups_111[] = "P-256:X25519:X448:P-521:P-384";
static const char groups_30[] = "P-256:X25519:X448:P-521:P-384:ffdhe2048:"
				"ffdhe3072:ffdhe4096:ffdhe6144:ffdhe8192";

/* Each OpenSSL's list (NULL: leave its groups alone), decided at its
 * first handshake, when its library is surely initialised.  Written and
 * read under `lock`; ssl.c keeps at most 8 OpenSSLs. */
static struct {
	const struct pgv_ssl *t;
	const char *groups;
} decided[8];
static size_t ndecided;
static struct pgv_fork_lock lock = PGV_FORK_LOCK_INITIALIZER;

/* The file OpenSSL reads its configuration from, as it finds it. */
static void config_file(const struct pgv_ssl *t, char *out, size_t len)
{
	const char *env = secure_getenv("OPENSSL_CONF");

	if (env)
		snprintf(out, len, "%s", env);
	else
		snprintf(out, len, "%s/openssl.cnf", t->cert_area());
}

/* Whether the configuration sets the groups of every program: Groups or
 * Curves (OpenSSL reads its commands without regard to case) in the
 * system_default section of its ssl_conf module.  A file that exists but
 * cannot be read counts as setting them. */
static int config_sets_groups(const struct pgv_ssl *t)
{
	char file[PATH_MAX];
	CONF *conf;
	const char *app, *ssl, *sys;
	STACK_OF(CONF_VALUE) *values = NULL;
	int n, sets = 0;

	config_file(t, file, sizeof(file));
	if (!(conf = t->conf_new(NULL)))
		return 1;
	if (t->conf_load(conf, file, NULL) <= 0) {
		sets = access(file, F_OK) == 0;
	} else if ((app = t->conf_get_string(conf, NULL, "openssl_conf")) &&
		   (ssl = t->conf_get_string(conf, app, "ssl_conf")) &&
		   (sys = t->conf_get_string(conf, ssl, "system_default"))) {
		values = t->conf_get_section(conf, sys);
	}
	n = values ? t->sk_num((const OPENSSL_STACK *)values) : 0;
	for (int i = 0; i < n; i++) {
		const CONF_VALUE *v =
		    t->sk_value((const OPENSSL_STACK *)values, i);
		if (v && v->name &&
		    (strcasecmp(v->name, "Groups") == 0 ||
		     strcasecmp(v->name, "Curves") == 0))
			sets = 1;
	}
	t->conf_free(conf);
	return sets;
}

static const char *groups_for(const struct pgv_ssl *t)
{
	unsigned long v;
	const char *groups;

	v = t->version_num();
	if (v < 0x10101000UL || v >= 0x30500000UL)
		return NULL;
	groups = v < 0x30000000UL ? groups_111 : groups_30;
	t->err_set_mark();
	if (config_sets_groups(t))
		groups = NULL;
	t->err_pop_to_mark();
	return groups;
}

static const char *decide(const struct pgv_ssl *t)
{
	const char *groups = NULL;
	size_t i;

	pgv_fork_lock(&lock);
	for (i = 0; i < ndecided && decided[i].t != t; i++)
		;
	if (i < ndecided) {
		groups = decided[i].groups;
	} else {
		groups = groups_for(t);
		if (ndecided < sizeof(decided) / sizeof(*decided))
			decided[ndecided++] =
			    (__typeof__(decided[0])){t, groups};
	}
	pgv_fork_unlock(&lock);
	return groups;
}

void pgv_keyshare_prepare(const struct pgv_ssl *t, SSL *ssl)
{
	const char *groups;

	/* ssl.c gives a table all of keyshare's functions or none. */
	if (!t->in_before || !t->in_before(ssl) || !(groups = decide(t)))
		return;
	/* A group this OpenSSL's providers lack (FIPS) fails the whole list
	 * and leaves the SSL's own. */
	t->err_set_mark();
	t->ctrl(ssl, SSL_CTRL_SET_GROUPS_LIST, 0, (char *)groups);
	t->err_pop_to_mark();
}
