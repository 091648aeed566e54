/*
 * CA bundles.  libpq reads sslrootcert only after the TCP connect, and
 * under some modes a garbage or empty file silently means no verification,
 * so the shim checks the bundle itself before anything reaches the network.
 * The same walk over the file lists it for `pgverify bundle`.
 */
#include "bundle.h"
#include "core.h"
#include "file.h"
#include "forklock.h"
#include "log.h"

#include <errno.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef int (*cert_fn)(X509 *x, int index, void *arg);

/* The 1-based line of byte `offset` of the file, for error messages. */
static long line_at(const char *path, long offset)
{
	FILE *fp = fopen(path, "re");
	long line = 1;
	int c;

	for (long i = 0; fp && i < offset && (c = getc(fp)) != EOF; i++)
		line += c == '\n';
	if (fp)
		fclose(fp);
	return line;
}

/*
 * Call `each` for every PEM certificate of `path`.  Text between PEM blocks
 * is allowed (bundles often carry comments); anything malformed is an
 * error naming the certificate and the line where it starts.
 */
static int walk(const char *path, cert_fn each, void *arg, char *err,
		size_t errlen)
{
	const char *why = "out of memory";
	FILE *fp = pgv_open_regular(path, &why);
	BIO *bio = fp ? BIO_new_fp(fp, BIO_CLOSE) : NULL;
	int n = 0, rc = 0;
	long pos = 0;
	X509 *x;

	if (!bio) {
		snprintf(err, errlen, "cannot read CA bundle %s: %s", path,
			 why);
		if (fp)
			fclose(fp);
		ERR_clear_error();
		return -1;
	}
	while (rc == 0 && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		pos = BIO_tell(bio);
		rc = each(x, ++n, arg);
		X509_free(x);
	}
	unsigned long e = rc ? 0 : ERR_peek_last_error();
	if (n > 0 && ERR_GET_LIB(e) == ERR_LIB_PEM &&
	    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		e = 0;
	if (rc == 0 && n == 0 && !e)
		e = ERR_PACK(ERR_LIB_PEM, 0, PEM_R_NO_START_LINE);
	if (rc == 0 && n == 0)
		snprintf(err, errlen, "%s holds no PEM certificate", path);
	else if (e)
		snprintf(err, errlen,
			 "%s: certificate %d (after line %ld) is not a valid "
			 "PEM certificate: %s",
			 path, n + 1, line_at(path, pos),
			 ERR_reason_error_string(e) ? ERR_reason_error_string(e)
						    : "unknown error");
	BIO_free(bio);
	/* libpq reads the OpenSSL error queue later: leave nothing on it. */
	ERR_clear_error();
	return rc ? rc : (n == 0 || e) ? -1 : 0;
}

static long long asn1_seconds(const ASN1_TIME *t)
{
	struct tm tm;

	return ASN1_TIME_to_tm(t, &tm) ? (long long)timegm(&tm) : 0;
}

struct bundle_facts {
	const char *path;
	int warn_days;
	int certs;	      /* certificates in the file */
	int soon;	      /* valid ones that expire within the window */
	long long last_valid; /* the latest notAfter of any certificate */
};

static int account(X509 *x, int index, void *arg)
{
	struct bundle_facts *f = arg;
	long long end = asn1_seconds(X509_get0_notAfter(x));
	long long now = time(NULL);

	(void)index;
	f->certs++;
	if (end > f->last_valid)
		f->last_valid = end;
	if (end > now && end - now < (long long)f->warn_days * 86400) {
		char *subject =
		    X509_NAME_oneline(X509_get_subject_name(x), NULL, 0);
		f->soon++;
		pgv_log(PGV_LOG_WARNING,
			"%s: CA %s expires in %lld days (expiry_warning_days "
			"is %d)",
			f->path, subject ? subject : "?", (end - now) / 86400,
			f->warn_days);
		OPENSSL_free(subject);
	}
	return 0;
}

static int usable(const char *path, const struct bundle_facts *f, char *err,
		  size_t errlen)
{
	if (f->last_valid > (long long)time(NULL))
		return 0;
	snprintf(err, errlen, "every certificate in %s has expired", path);
	return -1;
}

static int parse_file(const char *path, int warn_days, struct bundle_facts *f,
		      char *err, size_t errlen)
{
	memset(f, 0, sizeof(*f));
	f->path = path;
	f->warn_days = warn_days;
	if (walk(path, account, f, err, errlen) < 0)
		return -1;
	return usable(path, f, err, errlen);
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

/* The CN of a name, else the whole name in one line. */
static void name_text(const X509_NAME *name, char *buf, size_t len)
{
	int i = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
	const ASN1_STRING *cn =
	    i >= 0 ? X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, i))
		   : NULL;

	if (cn)
		snprintf(buf, len, "%.*s", ASN1_STRING_length(cn),
			 (const char *)ASN1_STRING_get0_data(cn));
	else
		X509_NAME_oneline(name, buf, (int)len);
}

struct lister {
	int (*each)(const pgverify_cert *, void *);
	void *arg;
};

static void fill_cert(X509 *x, int index, pgverify_cert *c)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	memset(c, 0, sizeof(*c));
	c->index = index;
	name_text(X509_get_subject_name(x), c->subject, sizeof(c->subject));
	name_text(X509_get_issuer_name(x), c->issuer, sizeof(c->issuer));
	c->not_before = asn1_seconds(X509_get0_notBefore(x));
	c->not_after = asn1_seconds(X509_get0_notAfter(x));
	c->is_ca = X509_check_ca(x) >= 1;
	X509_digest(x, EVP_sha256(), md, &mdlen);
	for (unsigned int i = 0; i < mdlen && 3 * i + 3 <= sizeof(c->sha256);
	     i++)
		snprintf(c->sha256 + 3 * i, 4, i + 1 < mdlen ? "%02X:" : "%02X",
			 md[i]);
}

static int describe(X509 *x, int index, void *arg)
{
	struct lister *l = arg;
	pgverify_cert c;
	unsigned char *der = NULL;
	int len, rc;

	fill_cert(x, index, &c);
	len = i2d_X509(x, &der);
	c.der = der;
	c.der_len = len > 0 ? (size_t)len : 0;
	rc = l->each(&c, l->arg);
	OPENSSL_free(der);
	return rc;
}

int pgv_cert_from_der(const unsigned char *der, size_t len, int index,
		      pgverify_cert *out)
{
	X509 *x = d2i_X509(NULL, &der, (long)len);

	if (!x) {
		ERR_clear_error();
		return -1;
	}
	fill_cert(x, index, out);
	X509_free(x);
	return 0;
}

int pgverify_bundle_list(const char *path,
			 int (*each)(const pgverify_cert *, void *), void *arg,
			 char *err, size_t errlen)
{
	struct lister l = {each, arg};

	return walk(path, describe, &l, err, errlen);
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
static struct pgv_fork_lock cache_lock = PGV_FORK_LOCK_INITIALIZER;

static struct cache_entry *cache_find(const char *path)
{
	for (struct cache_entry *e = cache; e; e = e->next)
		if (strcmp(e->path, path) == 0)
			return e;
	return NULL;
}

/*
 * A process names few bundles, but a connection's own sslrootcert can be
 * anything: keep the cache bounded, dropping the oldest entry (its file is
 * simply read again if it comes back).
 */
#define CACHE_MAX 32

static void cache_trim(void)
{
	struct cache_entry **p = &cache;
	int n = 0;

	while (*p && ++n < CACHE_MAX)
		p = &(*p)->next;
	while (*p) {
		struct cache_entry *old = *p;
		*p = old->next;
		free(old->path);
		free(old);
	}
}

static struct cache_entry *cache_add(const char *path)
{
	struct cache_entry *e = calloc(1, sizeof(*e));

	if (e && !(e->path = strdup(path))) {
		free(e);
		return NULL;
	}
	if (e) {
		cache_trim();
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
	pgv_fork_lock(&cache_lock);
	e = cache_find(path);
	if (!e || !pgv_same_file(&e->st, &st)) {
		e = e ? e : cache_add(path);
		if (!e) {
			pgv_fork_unlock(&cache_lock);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		e->st = st;
		e->rc = parse_file(path, warn_days, &e->facts, e->err,
				   sizeof(e->err));
		e->facts.path = e->path;
	}
	rc = e->rc;
	if (rc == 0)
		rc = usable(path, &e->facts, e->err, sizeof(e->err));
	if (rc < 0)
		snprintf(err, errlen, "%s", e->err);
	pgv_fork_unlock(&cache_lock);
	return rc;
}

const char *pgverify_system_bundle(void)
{
	const char *env = secure_getenv(X509_get_default_cert_file_env());

	return env && *env ? env : X509_get_default_cert_file();
}
