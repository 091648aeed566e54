/* libpq's sslmode values, weakest first, spelled exactly as libpq spells them.
 */
#ifndef PGV_SSLMODE_H
#define PGV_SSLMODE_H

enum pgv_sslmode {
	PGV_SSL_DISABLE,
	PGV_SSL_ALLOW,
	PGV_SSL_PREFER,
	PGV_SSL_REQUIRE,
	PGV_SSL_VERIFY_CA,
	PGV_SSL_VERIFY_FULL
};

/* Returns the mode, or -1 if `name` is not one of libpq's sslmode values. */
int pgv_sslmode_parse(const char *name);
const char *pgv_sslmode_name(int mode);

#endif
