/* RDS CA ids and the regions RDS CA subjects name (rds.c). */
#ifndef PGV_RDS_H
#define PGV_RDS_H

#include <stddef.h>

#define PGV_RDS_G1_IDS 3
/* The current generation: rds-ca-rsa2048-g1, -rsa4096-g1, -ecc384-g1. */
extern const char *const pgv_rds_g1_ids[PGV_RDS_G1_IDS];

/*
 * The RDS CA id a CA subject names (its CN, or a one-line name "/CN=..."):
 * "Amazon RDS <region> Root CA RSA2048 G1" is rds-ca-rsa2048-g1, RSA4096
 * and ECC384 likewise, "Amazon RDS Root 2019 CA" and the regional 2019
 * roots rds-ca-2019.  NULL for any other subject.
 */
const char *pgv_rds_ca_id(const char *subject);

/* Whether `id` is one of the ids above (rds-ca-2019 included), or one of
 * the G1 ids. */
int pgv_rds_is_ca_id(const char *id);
int pgv_rds_is_g1(const char *id);

/* The first word of `subject` that is an AWS region name, into `out`
 * (33 bytes); "" when it names none. */
void pgv_rds_subject_region(const char *subject, char out[33]);

/* Whether bundle `path` holds, for `region`, a root of each G1 id that is
 * valid at `now`: trusted[i] and until[i] (its not-after; the latest if
 * several) for pgv_rds_g1_ids[i].  0, or -1 with `err`. */
int pgv_rds_trust(const char *path, const char *region, long long now,
		  int trusted[PGV_RDS_G1_IDS], long long until[PGV_RDS_G1_IDS],
		  char *err, size_t errlen);

/* The same for any id (rds-ca-2019 included): 1 trusted, 0 not, -1 error. */
int pgv_rds_trusts(const char *path, const char *region, const char *id,
		   long long now, long long *until, char *err, size_t errlen);

#endif
