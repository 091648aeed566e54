/*
 * The AWS CLI's JSON about RDS, read with jansson.  `aws rds
 * describe-db-instances` and `describe-db-clusters` give the endpoints and
 * their CA ids; `describe-certificates` gives each CA id's validity as AWS
 * states it.  Only PostgreSQL engines are kept: pgverify is for libpq.
 */
#include "aws.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void aws_init(struct aws_input *in)
{
	memset(in, 0, sizeof(*in));
	in->docs = json_array();
}

void aws_free(struct aws_input *in)
{
	json_decref(in->docs);
	free(in->dbs);
	free(in->cas);
	free(in->others);
	memset(in, 0, sizeof(*in));
}

/* `arr` with room for one more element of `size` bytes, zeroed; NULL
 * (and `arr` untouched) out of memory. */
static void *grown(void *arr, size_t n, size_t size)
{
	char *p = realloc(arr, (n + 1) * size);

	if (p)
		memset(p + n * size, 0, size);
	return p;
}

static struct aws_db *new_db(struct aws_input *in)
{
	struct aws_db *dbs = grown(in->dbs, in->ndbs, sizeof(*dbs));

	if (!dbs)
		return NULL;
	in->dbs = dbs;
	return &dbs[in->ndbs++];
}

/* libpq speaks to these engines; every other engine is counted only.  An
 * element without Engine (a file written by hand) is taken as given. */
static int is_postgres(const char *engine)
{
	return !engine || strcmp(engine, "postgres") == 0 ||
	       strcmp(engine, "aurora-postgresql") == 0;
}

static int count_other(struct aws_input *in, const char *engine)
{
	struct aws_other *o;

	for (size_t i = 0; i < in->nothers; i++)
		if (strcmp(in->others[i].engine, engine) == 0) {
			in->others[i].n++;
			return 0;
		}
	if (!(o = grown(in->others, in->nothers, sizeof(*o))))
		return -1;
	in->others = o;
	in->others[in->nothers++] = (struct aws_other){engine, 1};
	return 0;
}

/* One element of DBInstances or DBClusters. */
static int add_db(struct aws_input *in, const json_t *item, enum aws_kind kind)
{
	const char *engine = str(item, "Engine");
	const json_t *ep = json_object_get(item, "Endpoint");
	const json_t *cert = json_object_get(item, "CertificateDetails");
	const char *addr =
	    json_is_string(ep) ? json_string_value(ep) : str(ep, "Address");
	struct aws_db *d;

	if (!is_postgres(engine))
		return count_other(in, engine);
	if (!addr) {
		in->no_endpoint++; /* still being created */
		return 0;
	}
	if (!(d = new_db(in)))
		return -1;
	d->kind = kind;
	d->address = addr;
	d->engine = engine;
	d->name = str(item, kind == AWS_INSTANCE ? "DBInstanceIdentifier"
						 : "DBClusterIdentifier");
	d->ca = str(item, "CACertificateIdentifier");
	if (!d->ca)
		d->ca = str(cert, "CAIdentifier");
	d->valid_till = str(cert, "ValidTill");
	if (kind == AWS_CLUSTER)
		d->members = json_object_get(item, "DBClusterMembers");
	return 0;
}

static int add_ca(struct aws_input *in, const json_t *item)
{
	const char *id = str(item, "CertificateIdentifier");
	struct aws_ca *c;

	if (!id)
		return 0;
	if (!(c = grown(in->cas, in->ncas, sizeof(*c))))
		return -1;
	in->cas = c;
	in->cas[in->ncas++] = (struct aws_ca){id, str(item, "ValidTill")};
	return 0;
}

static int add_doc(struct aws_input *in, const json_t *doc)
{
	const json_t *item;
	size_t i;
	int rc = 0;

	json_array_foreach(json_object_get(doc, "DBInstances"), i, item) rc |=
	    add_db(in, item, AWS_INSTANCE);
	json_array_foreach(json_object_get(doc, "DBClusters"), i, item) rc |=
	    add_db(in, item, AWS_CLUSTER);
	json_array_foreach(json_object_get(doc, "Certificates"), i, item) rc |=
	    add_ca(in, item);
	return rc;
}

int aws_read(struct aws_input *in, const char *path, char *err, size_t errlen)
{
	json_error_t e;
	json_t *doc = strcmp(path, "-") == 0
			  ? json_loadf(stdin, JSON_REJECT_DUPLICATES, &e)
			  : json_load_file(path, JSON_REJECT_DUPLICATES, &e);

	if (!doc) {
		if (e.line > 0)
			snprintf(err, errlen, "%s:%d: %s", path, e.line,
				 e.text);
		else /* not opened: jansson's text names the file */
			snprintf(err, errlen, "%s", e.text);
		return -1;
	}
	if (!json_is_array(json_object_get(doc, "DBInstances")) &&
	    !json_is_array(json_object_get(doc, "DBClusters")) &&
	    !json_is_array(json_object_get(doc, "Certificates"))) {
		snprintf(err, errlen,
			 "%s: no DBInstances, DBClusters or Certificates (the "
			 "output of aws rds describe-db-instances, "
			 "describe-db-clusters or describe-certificates)",
			 path);
		json_decref(doc);
		return -1;
	}
	/* The document is kept: the endpoints borrow its strings. */
	if (json_array_append_new(in->docs, doc) < 0 || add_doc(in, doc) < 0) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	return 0;
}

int aws_add_endpoint(struct aws_input *in, const char *address)
{
	struct aws_db *d = new_db(in);

	if (!d)
		return -1;
	d->kind = AWS_ENDPOINT;
	d->address = address;
	return 0;
}

const struct aws_ca *aws_ca_of(const struct aws_input *in, const char *id)
{
	for (size_t i = 0; id && i < in->ncas; i++)
		if (strcmp(in->cas[i].id, id) == 0)
			return &in->cas[i];
	return NULL;
}

/* "+HH:MM" or "-HH:MM" as seconds east of UTC; -1 if it is not one. */
static int utc_offset(const char *p, long long *off)
{
	if ((p[0] != '+' && p[0] != '-') || strlen(p) != 6 || p[3] != ':' ||
	    !isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) ||
	    !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
		return -1;
	*off = ((p[1] - '0') * 10 + (p[2] - '0')) * 3600LL +
	       ((p[4] - '0') * 10 + (p[5] - '0')) * 60LL;
	if (p[0] == '-')
		*off = -*off;
	return 0;
}

int aws_time(const char *s, long long *out)
{
	struct tm tm;
	long long off = 0;
	const char *p;

	memset(&tm, 0, sizeof(tm));
	if (!s || !(p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		p += 1 + strspn(p + 1, "0123456789");
	if (strcmp(p, "Z") != 0 && utc_offset(p, &off) < 0)
		return -1;
	*out = (long long)timegm(&tm) - off;
	return 0;
}

int aws_past(const char *stamp, long long now, long long *t)
{
	long long when = 0;
	int known = aws_time(stamp, &when) == 0;

	if (t)
		*t = known ? when : 0;
	return known && when <= now;
}
