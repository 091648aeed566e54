/*
 * pgverify rotation --audit: the programs seen connecting to an endpoint,
 * from the shim's audit records, and whether the bundle each one trusts
 * would still verify the endpoint on the CA it is (or is going) on.
 * What a bundle trusts is read as the endpoint's own bundle is read
 * (trust_of(): pgv_rds_trust()).
 */
#include "mask.h"
#include "records.h"
#include "rotation.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/*
 * The bundle a program's trust rests on.  In report mode a program that
 * names its own sslrootcert verifies with that file, and enforcement
 * (unlocked) keeps it: its own file, not pgverify's, is what must hold the
 * CA.  Otherwise the record's sslrootcert is the bundle in use.
 */
static json_t *bundle_of(const json_t *rec)
{
	json_t *own = json_object_get(rec, "sslrootcert_before");
	const char *mode = str(rec, "mode");

	if (mode && strcmp(mode, "report") == 0 && json_is_string(own))
		return own;
	return json_object_get(rec, "sslrootcert");
}

/* One program and one host it connected to, once per distinct value. */
static int add_client(json_t *clients, const json_t *rec, const char *host)
{
	char *lower = strdup(host), *key = NULL;
	json_t *who = NULL;
	int rc = -1;

	for (char *p = lower; p && *p; p++)
		*p = (char)tolower((unsigned char)*p);
	if (lower)
		who = json_pack(
		    "{s:s, s:O?, s:O?, s:O?, s:O?, s:O?, s:O?}", "host", lower,
		    "program", json_object_get(rec, "program"), "user",
		    json_object_get(rec, "user"), "uid",
		    json_object_get(rec, "uid"), "unit",
		    json_object_get(rec, "unit"), "hostname",
		    json_object_get(rec, "hostname"), "bundle", bundle_of(rec));
	if (who)
		key = json_dumps(who, JSON_COMPACT | JSON_SORT_KEYS);
	if (key && json_object_get(clients, key))
		rc = 0; /* seen before */
	else if (key)
		rc = json_object_set(clients, key, who);
	json_decref(who);
	free(key);
	free(lower);
	return rc;
}

/* A record's programs, per host; Unix sockets and exempt hosts
 * ("left") carry no TLS and have no part in a rotation. */
static int add_record(json_t *rec, void *arg)
{
	const char *decision = str(rec, "decision");
	json_t *host;
	size_t i;

	if (strcmp(decision, "left") == 0)
		return 0;
	json_array_foreach(json_object_get(rec, "hosts"), i, host)
	{
		if (json_is_string(host) &&
		    add_client(arg, rec, json_string_value(host)) < 0)
			return -1;
	}
	return 0;
}

json_t *clients_read(const char *const *files, size_t n, char *err,
		     size_t errlen)
{
	json_t *clients = json_object();
	int rc = 0;

	if (!clients) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; rc == 0 && i < n; i++) {
		rc = records_read(files[i], add_record, clients, NULL, err,
				  errlen);
		if (rc > 0 || (rc < 0 && !err[0]))
			snprintf(err, errlen, "%s: out of memory", files[i]);
	}
	if (rc != 0) {
		json_decref(clients);
		return NULL;
	}
	return clients;
}

/*
 * Whether the program's trust would not survive CA `id`: 1 with x->why (and
 * x->cannot_tell when its bundle cannot be judged here), 0 when its bundle
 * trusts `id` for `region`, -1 out of memory.
 */
static int at_risk(struct exposure *x, const char *region, const char *id,
		   struct trust_cache **cache, long long now)
{
	const char *bundle = str(x->who, "bundle");
	const struct trust *t;

	x->cannot_tell = 1;
	if (!bundle)
		snprintf(x->why, sizeof(x->why),
			 "cannot tell: its records name no bundle");
	else if (strcmp(bundle, "system") == 0)
		snprintf(x->why, sizeof(x->why),
			 "cannot tell: it uses the system store");
	else if (bundle[0] != '/')
		snprintf(x->why, sizeof(x->why),
			 "cannot tell: %s is not an absolute path", bundle);
	else if (access(bundle, R_OK) != 0)
		snprintf(x->why, sizeof(x->why),
			 "cannot tell: %s is not readable on this host",
			 bundle);
	else if (!(t = trust_of(cache, bundle, region, now)))
		return -1;
	else if (t->error[0])
		snprintf(x->why, sizeof(x->why), "cannot tell: %s", t->error);
	else if (trust_has(t, id))
		return 0;
	else {
		x->cannot_tell = 0;
		snprintf(x->why, sizeof(x->why), "%s does not trust %s for %s",
			 bundle, id, region);
	}
	return 1;
}

long clients_at_risk(const json_t *clients, const char *address,
		     const char *region, const char *id,
		     struct trust_cache **cache, long long now,
		     struct exposure **out)
{
	struct exposure x, *grown;
	const char *key;
	json_t *who;
	long n = 0;
	int risk;

	*out = NULL;
	json_object_foreach((json_t *)clients, key, who)
	{
		if (strcasecmp(str(who, "host"), address) != 0)
			continue;
		memset(&x, 0, sizeof(x));
		x.who = who;
		if ((risk = at_risk(&x, region, id, cache, now)) == 0)
			continue;
		grown = risk > 0 ? realloc(*out, (n + 1) * sizeof(x)) : NULL;
		if (!grown) {
			free(*out);
			*out = NULL;
			return -1;
		}
		*out = grown;
		grown[n++] = x;
	}
	return n;
}

const char *client_name(const json_t *who, char *buf, size_t len)
{
	const char *user = str(who, "user"), *unit = str(who, "unit");
	const char *host = str(who, "hostname"), *program = str(who, "program");
	const json_t *uid = json_object_get(who, "uid");
	char id[300] = "";
	int k;

	if (user)
		snprintf(id, sizeof(id), "user %s", user);
	else if (json_is_integer(uid))
		snprintf(id, sizeof(id), "uid %lld",
			 (long long)json_integer_value(uid));
	k = snprintf(buf, len, "%s (%s%s%s%s%s)",
		     program ? program : "(program not named)",
		     id[0] ? id : "user not known", unit ? ", unit " : "",
		     unit ? unit : "", host ? ", on " : "", host ? host : "");
	if (k < 0)
		buf[0] = '\0';
	pgv_escape_controls(buf, len);
	return buf;
}
