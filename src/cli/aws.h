/*
 * What the AWS CLI prints about RDS, as `pgverify rotation` reads it
 * (aws.c): `aws rds describe-db-instances`, `describe-db-clusters` and
 * `describe-certificates`, or host names given on the command line.
 */
#ifndef PGV_CLI_AWS_H
#define PGV_CLI_AWS_H

#include <jansson.h>
#include <stddef.h>

enum aws_kind {
	AWS_ENDPOINT, /* a host name from the command line */
	AWS_INSTANCE, /* an element of DBInstances */
	AWS_CLUSTER   /* an element of DBClusters */
};

/* One PostgreSQL endpoint.  Every string is borrowed from the input. */
struct aws_db {
	enum aws_kind kind;
	const char *address;	/* the endpoint's host name */
	const char *name;	/* DBInstanceIdentifier, DBClusterIdentifier */
	const char *engine;	/* Engine, or NULL */
	const char *ca;		/* its CA id, or NULL when not known */
	const char *valid_till; /* CertificateDetails.ValidTill, or NULL */
	const json_t *members;	/* a cluster's DBClusterMembers, or NULL */
};

/* One CA of describe-certificates. */
struct aws_ca {
	const char *id;		/* CertificateIdentifier */
	const char *valid_till; /* ValidTill, or NULL */
};

/* An engine other than PostgreSQL, and how many were passed over. */
struct aws_other {
	const char *engine;
	size_t n;
};

struct aws_input {
	json_t *docs; /* every document read: owns the strings below */
	struct aws_db *dbs;
	size_t ndbs;
	struct aws_ca *cas;
	size_t ncas;
	struct aws_other *others;
	size_t nothers;
	size_t no_endpoint; /* described before they have an endpoint */
};

/* An empty input; release with aws_free(). */
void aws_init(struct aws_input *in);
void aws_free(struct aws_input *in);

/*
 * Add what the AWS CLI output in `path` ("-": standard input) describes:
 * PostgreSQL instances and clusters (engines postgres and
 * aurora-postgresql; others are counted in `others`), or CA certificates.
 * Returns 0, or -1 with `err` set (the file cannot be read, is no JSON, or
 * is none of those outputs).
 */
int aws_read(struct aws_input *in, const char *path, char *err, size_t errlen);

/* Add a host name as an endpoint; -1 out of memory. */
int aws_add_endpoint(struct aws_input *in, const char *address);

/* The describe-certificates entry of `id`, or NULL. */
const struct aws_ca *aws_ca_of(const struct aws_input *in, const char *id);

/* An AWS timestamp ("2024-08-22T17:08:50+00:00", "...Z", fractions of a
 * second allowed) as seconds since the epoch: 0, or -1 if it is not one. */
int aws_time(const char *s, long long *out);

/* Whether an AWS timestamp lies before `now` (an unreadable one does
 * not); its time in *t (0 if unreadable) when `t` is not NULL. */
int aws_past(const char *stamp, long long now, long long *t);

#endif
