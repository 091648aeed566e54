/* The RDS bundle snapshot that pgverify ships (data/rds-global-bundle.pem;
 * tests/suites/cli.sh checks that these agree with the file and its manifest).
 */
#ifndef PGV_SNAPSHOT_H
#define PGV_SNAPSHOT_H

#define PGVERIFY_SNAPSHOT_SHA256                                               \
	"e5bb2084ccf45087bda1c9bffdea0eb15ee67f0b91646106e466714f9de3c7e3"
#define PGVERIFY_SNAPSHOT_DATE "2026-12"

#endif
