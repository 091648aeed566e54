/*
 * pgverify bundle --update [--from URL|FILE] [--timeout SECONDS] DEST: fetch
 * the current AWS RDS bundle and install it as --install does (every
 * certificate a CA, one valid, the changes listed, DEST replaced atomically
 * or left untouched).  libcurl fetches it: HTTPS only, redirects included,
 * the server verified against the system store exactly as sslrootcert =
 * "system" means it (OpenSSL's default file and directory, honouring
 * SSL_CERT_FILE and SSL_CERT_DIR), with a timeout and a size limit.  Then
 * the per-region files of a {region} rule drawn from DEST are rewritten.
 */
#include "cli.h"
#include "config.h"

#include <curl/curl.h>
#include <errno.h>
#include <libgen.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEFAULT_URL                                                            \
	"https://truststore.pki.rds.amazonaws.com/global/global-bundle.pem"
#define DEFAULT_TIMEOUT 60
/* The global bundle is about 170 KB; anything near this is not one. */
#define MAX_BYTES (4L * 1024 * 1024)

struct sink {
	FILE *f;
	long bytes;
	int too_big;
};

static size_t store(char *data, size_t size, size_t n, void *arg)
{
	struct sink *s = arg;

	if (s->bytes + (long)(size * n) > MAX_BYTES) {
		s->too_big = 1;
		return 0; /* libcurl stops with CURLE_WRITE_ERROR */
	}
	s->bytes += (long)(size * n);
	return fwrite(data, size, n, s->f);
}

/* The system store, as OpenSSL's defaults name it. */
static void system_store(CURL *c)
{
	const char *dir = secure_getenv(X509_get_default_cert_dir_env());

	curl_easy_setopt(c, CURLOPT_CAINFO, pgverify_system_bundle());
	curl_easy_setopt(c, CURLOPT_CAPATH,
			 dir && *dir ? dir : X509_get_default_cert_dir());
}

/* Fetch `url` into `f`; 0, or -1 with `err`. */
static int fetch(const char *url, long timeout, FILE *f, char *err,
		 size_t errlen)
{
	struct sink s = {f, 0, 0};
	char curl_err[CURL_ERROR_SIZE] = "";
	CURL *c = curl_easy_init();
	CURLcode rc;

	if (!c) {
		snprintf(err, errlen, "cannot start libcurl");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	system_store(c);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
			 timeout < 20 ? timeout : 20);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "pgverify/" PACKAGE_VERSION);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, curl_err);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, store);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	rc = curl_easy_perform(c);
	if (s.too_big)
		snprintf(err, errlen, "%s: larger than %ld bytes, not a bundle",
			 url, MAX_BYTES);
	else if (rc != CURLE_OK)
		snprintf(err, errlen, "cannot fetch %s: %s", url,
			 curl_err[0] ? curl_err : curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	if (rc == CURLE_OK && fflush(f) != 0) {
		snprintf(err, errlen, "cannot write the download: %s",
			 strerror(errno));
		return -1;
	}
	return rc == CURLE_OK ? 0 : -1;
}

/* A URL with a scheme other than https is refused, not fetched. */
static int is_url(const char *s)
{
	return strstr(s, "://") != NULL;
}

/* Fetch `url` to a private temporary file and install it as `dest`. */
static int update_from_url(const char *url, long timeout, const char *dest,
			   const struct cli_opts *o)
{
	char tmp[] = "/tmp/pgverify-update.XXXXXX", err[2048];
	int fd = mkstemp(tmp), status = EXIT_REFUSED;
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (strncmp(url, "https://", 8) != 0) {
		fprintf(stderr,
			"pgverify: %s: only https:// URLs are fetched; %s is "
			"unchanged\n",
			url, dest);
	} else if (!f) {
		fprintf(stderr, "pgverify: cannot make a temporary file: %s\n",
			strerror(errno));
	} else if (fetch(url, timeout, f, err, sizeof(err)) < 0) {
		fprintf(stderr, "pgverify: %s; %s is unchanged\n", err, dest);
	} else {
		status = bundle_install(dest, tmp, url, o);
	}
	if (f)
		fclose(f);
	else if (fd >= 0)
		close(fd);
	if (fd >= 0)
		unlink(tmp);
	return status;
}

/*
 * A {region} rule's files are `bundle --split` output: DIR/<region>.pem.
 * When DEST is the configuration's global bundle, they are drawn from it,
 * so they are split again from the new one.
 */
static int refresh_regions(const struct cli_opts *o, const char *dest)
{
	char err[1024], dir[1024];
	pgverify_config *cfg = cli_config(o, err, sizeof(err));
	pgverify_config_view v;
	pgverify_rule_view r;
	int status = EXIT_OK;

	if (!cfg)
		return EXIT_OK; /* no configuration: nothing drawn from DEST */
	pgverify_config_describe(cfg, &v);
	for (size_t i = 0; strcmp(v.sslrootcert, dest) == 0 &&
			   pgverify_config_rule(cfg, i, &r) == 0;
	     i++) {
		const char *file =
		    r.sslrootcert ? strrchr(r.sslrootcert, '/') : NULL;
		if (!file || strcmp(file, "/" PGV_REGION ".pem") != 0)
			continue;
		snprintf(dir, sizeof(dir), "%.*s", (int)(file - r.sslrootcert),
			 r.sslrootcert);
		if (bundle_split(dir, dest, o->json) != EXIT_OK)
			status = EXIT_REFUSED;
	}
	pgverify_config_free(cfg);
	return status;
}

int bundle_update(const struct cli_opts *o, const char *dest)
{
	const char *from = o->from ? o->from : DEFAULT_URL;
	long timeout = o->timeout ? o->timeout : DEFAULT_TIMEOUT;
	int status;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "pgverify: cannot start libcurl\n");
		return EXIT_REFUSED;
	}
	status = is_url(from) ? update_from_url(from, timeout, dest, o)
			      : bundle_install(dest, from, from, o);
	curl_global_cleanup();
	if (status == EXIT_OK)
		status = refresh_regions(o, dest);
	return status;
}
