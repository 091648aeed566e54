/*
 * CA bundle checks.  libpq reads sslrootcert only after the TCP connect, and
 * under some modes a garbage or empty file silently means no verification,
 * so the shim checks the bundle itself before anything reaches the network.
 */
#include "bundle.h"
#include "log.h"
#include "pgverify.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct bundle_facts {
	int certs; /* certificates in the file */
	int soon;  /* valid ones that expire within the warning window */
	time_t last_valid; /* the latest notAfter of any certificate */
};

static time_t not_after(const X509 *x)
{
	struct tm tm;

	if (!ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm))
		return 0;
	return timegm(&tm);
}

/*
 * Read every PEM certificate of `fp`.  Text between PEM blocks is allowed
 * (bundles often carry comments), anything malformed is an error.
 */
static int read_certs(FILE *fp, const char *path, int warn_days,
		      struct bundle_facts *f, char *err, size_t errlen)
{
	time_t now = time(NULL);
	X509 *x;

	while ((x = PEM_read_X509(fp, NULL, NULL, NULL)) != NULL) {
		time_t end = not_after(x);
		f->certs++;
		if (end > f->last_valid)
			f->last_valid = end;
		if (end > now && end - now < (time_t)warn_days * 86400) {
			f->soon++;
			char *subject = X509_NAME_oneline(
			    X509_get_subject_name(x), NULL, 0);
			pgv_log(PGV_LOG_WARNING,
				"%s: CA %s expires in %ld days "
				"(expiry_warning_days is %d)",
				path, subject ? subject : "?",
				(long)((end - now) / 86400), warn_days);
			OPENSSL_free(subject);
		}
		X509_free(x);
	}
	unsigned long e = ERR_peek_last_error();
	if (f->certs > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		e = 0;
	if (f->certs == 0)
		snprintf(err, errlen, "%s holds no PEM certificate", path);
	else if (e)
		snprintf(err, errlen,
			 "%s: certificate %d is not valid PEM (%s)", path,
			 f->certs + 1, ERR_reason_error_string(e));
	/* libpq reads the OpenSSL error queue later: leave nothing on it. */
	ERR_clear_error();
	return f->certs == 0 || e ? -1 : 0;
}

static int usable(const char *path, const struct bundle_facts *f, char *err,
		  size_t errlen)
{
	if (f->last_valid > time(NULL))
		return 0;
	snprintf(err, errlen, "every certificate in %s has expired", path);
	return -1;
}

static int parse_file(const char *path, int warn_days, struct bundle_facts *f,
		      char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	int rc;

	memset(f, 0, sizeof(*f));
	if (!fp) {
		snprintf(err, errlen, "cannot read CA bundle %s: %s", path,
			 strerror(errno));
		return -1;
	}
	rc = read_certs(fp, path, warn_days, f, err, errlen);
	fclose(fp);
	return rc < 0 ? -1 : usable(path, f, err, errlen);
}

int pgverify_bundle_check(const char *path, int warn_days, int *soon, char *err,
			  size_t errlen)
{
	struct bundle_facts f;
	int rc = parse_file(path, warn_days, &f, err, errlen);

	if (soon)
		*soon = f.soon;
	return rc;
}

struct cache_entry {
	struct cache_entry *next;
	char *path;
	struct stat st;
	int rc;
	struct bundle_facts facts;
	char err[512];
};

static struct cache_entry *cache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

/* A fork() while another thread holds the lock must not leave the child
 * with a lock nobody will release. */
static void cache_lock_take(void)
{
	pthread_mutex_lock(&cache_lock);
}

static void cache_lock_release(void)
{
	pthread_mutex_unlock(&cache_lock);
}

static void register_atfork(void)
{
	pthread_atfork(cache_lock_take, cache_lock_release, cache_lock_release);
}

static int same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	       a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

static struct cache_entry *cache_find(const char *path)
{
	for (struct cache_entry *e = cache; e; e = e->next)
		if (strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

static struct cache_entry *cache_add(const char *path)
{
	struct cache_entry *e = calloc(1, sizeof(*e));

	if (e && !(e->path = strdup(path))) {
		free(e);
		return NULL;
	}
	if (e) {
		e->next = cache;
		cache = e;
	}
	return e;
}

int pgv_bundle_check_cached(const char *path, int warn_days, char *err,
			    size_t errlen)
{
	struct stat st;
	struct cache_entry *e;
	int rc;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "cannot read CA bundle %s: %s", path,
			 strerror(errno));
		return -1;
	}
	pthread_once(&atfork_once, register_atfork);
	pthread_mutex_lock(&cache_lock);
	e = cache_find(path);
	if (!e || !same_file(&e->st, &st)) {
		e = e ? e : cache_add(path);
		if (!e) {
			pthread_mutex_unlock(&cache_lock);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		e->st = st;
		e->rc = parse_file(path, warn_days, &e->facts, e->err,
				   sizeof(e->err));
	}
	rc = e->rc;
	if (rc == 0)
		rc = usable(path, &e->facts, e->err, sizeof(e->err));
	if (rc < 0)
		snprintf(err, errlen, "%s", e->err);
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

const char *pgv_bundle_system_file(void)
{
	const char *env = secure_getenv(X509_get_default_cert_file_env());

	return env && *env ? env : X509_get_default_cert_file();
}
