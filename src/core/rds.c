/*
 * RDS CA ids.  AWS names each generation of RDS CAs (rds-ca-2019,
 * rds-ca-rsa2048-g1, ...) and puts the name's parts in the roots' subjects;
 * an instance is configured with an id, and its clients need a root of that
 * id for its region.  `pgverify probe` names the id that anchored a chain,
 * `pgverify rotation` says which ids a bundle is ready for.
 */
#include "rds.h"
#include "core.h"

#include <stdio.h>
#include <string.h>

const char *const pgv_rds_ids[PGV_RDS_IDS] = {
    "rds-ca-rsa2048-g1", "rds-ca-rsa4096-g1", "rds-ca-ecc384-g1",
    "rds-ca-2019"};

/* What the subject of a root of each id holds, after "Amazon RDS ". */
static const char *const markers[PGV_RDS_IDS] = {
    "Root CA RSA2048 G1", "Root CA RSA4096 G1", "Root CA ECC384 G1",
    "Root 2019 CA"};

#define PREFIX "Amazon RDS "

/* The CN of a one-line name, else the subject as given. */
static void common_name(const char *subject, char *cn, size_t len)
{
	const char *p = subject[0] == '/' ? strstr(subject, "/CN=") : NULL;

	if (p)
		snprintf(cn, len, "%.*s", (int)strcspn(p + 4, "/"), p + 4);
	else
		snprintf(cn, len, "%s", subject);
}

const char *pgv_rds_ca_id(const char *subject)
{
	char cn[256], region[PGV_REGION_SIZE];
	size_t n;

	common_name(subject, cn, sizeof(cn));
	if (strncmp(cn, PREFIX, strlen(PREFIX)) != 0)
		return NULL;
	for (size_t i = 0; i < PGV_RDS_IDS; i++)
		if (strstr(cn, markers[i]))
			return pgv_rds_ids[i];
	/* The 2019 regional roots: "Amazon RDS <region> Root CA". */
	pgv_rds_subject_region(cn, region);
	n = strlen(cn);
	if (region[0] && n > 8 && strcmp(cn + n - 8, " Root CA") == 0)
		return "rds-ca-2019";
	return NULL;
}

int pgv_rds_id_index(const char *id)
{
	for (int i = 0; i < PGV_RDS_IDS; i++)
		if (strcmp(id, pgv_rds_ids[i]) == 0)
			return i;
	return -1;
}

void pgv_rds_subject_region(const char *subject, char out[PGV_REGION_SIZE])
{
	const char *p = subject;

	out[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, " ,/=");
		if (n < PGV_REGION_SIZE && pgv_aws_region(p, n)) {
			memcpy(out, p, n);
			out[n] = '\0';
			return;
		}
		p += n + (p[n] != '\0');
	}
}

struct search {
	const char *region;
	long long now;
	int *trusted;
	long long *until;
};

/* A root of one of the ids, valid now, for the region (or for every
 * region, as "Amazon RDS Root 2019 CA" is). */
static int match(const pgverify_cert *c, void *arg)
{
	struct search *s = arg;
	const char *id = pgv_rds_ca_id(c->subject);
	int i = id ? pgv_rds_id_index(id) : -1;
	char region[PGV_REGION_SIZE];

	pgv_rds_subject_region(c->subject, region);
	if (!c->is_ca || i < 0 || (region[0] && strcmp(region, s->region)) ||
	    c->not_before > s->now || c->not_after <= s->now)
		return 0;
	s->trusted[i] = 1;
	if (c->not_after > s->until[i])
		s->until[i] = c->not_after;
	return 0;
}

int pgv_rds_trust(const char *path, const char *region, long long now,
		  int trusted[PGV_RDS_IDS], long long until[PGV_RDS_IDS],
		  char *err, size_t errlen)
{
	struct search s = {region, now, trusted, until};

	memset(trusted, 0, PGV_RDS_IDS * sizeof(*trusted));
	memset(until, 0, PGV_RDS_IDS * sizeof(*until));
	return pgverify_bundle_list(path, match, &s, err, errlen) < 0 ? -1 : 0;
}
