/* RDS CA ids and the regions RDS CA subjects name (rds.c). */
#ifndef PGV_RDS_H
#define PGV_RDS_H

#include "core.h"

#include <stddef.h>

/* The ids pgverify knows: the current generation first (rds-ca-rsa2048-g1,
 * -rsa4096-g1, -ecc384-g1: PGV_RDS_G1_IDS of them), then rds-ca-2019. */
#define PGV_RDS_IDS    4
#define PGV_RDS_G1_IDS 3
extern const char *const pgv_rds_ids[PGV_RDS_IDS];

/* The index of `id` in pgv_rds_ids, or -1. */
int pgv_rds_id_index(const char *id);

/*
 * The RDS CA id a CA subject names (its CN, or a one-line name "/CN=..."):
 * "Amazon RDS <region> Root CA RSA2048 G1" is rds-ca-rsa2048-g1, RSA4096
 * and ECC384 likewise, "Amazon RDS Root 2019 CA" and the regional 2019
 * roots rds-ca-2019.  NULL for any other subject.
 */
const char *pgv_rds_ca_id(const char *subject);

/* The first word of `subject` that is an AWS region name, into `out`
 * (PGV_REGION_SIZE bytes); "" when it names none. */
void pgv_rds_subject_region(const char *subject, char out[PGV_REGION_SIZE]);

/* Whether bundle `path` holds, for `region`, a root of each id of
 * pgv_rds_ids valid at `now`: trusted[i], and until[i] its not-after (the
 * latest if several).  One walk of the file.  0, or -1 with `err`. */
int pgv_rds_trust(const char *path, const char *region, long long now,
		  int trusted[PGV_RDS_IDS], long long until[PGV_RDS_IDS],
		  char *err, size_t errlen);

#endif
