/*
 * The core's private header: the pure path from a call's options to what is
 * forwarded (request, merge, policy, plan), the configuration, bundles,
 * chains and RDS facts.  The shim's engine, the command and the tests call
 * these; nothing here is exported (the library's only ABI is libpq's, and
 * `pgverify explain --json` is the programmatic interface), so all of it is
 * free to change.
 */
#ifndef PGV_CORE_H
#define PGV_CORE_H

/* An AWS region name ("us-gov-west-1") and its NUL. */
#define PGV_REGION_SIZE 33

#include <limits.h>
#include <stddef.h>

/* A loaded configuration.  Immutable once loaded; safe to share between
 * threads. */
typedef struct pgverify_config pgverify_config;

/*
 * Load the configuration at `path`.  When `path` is NULL the default path
 * (pgverify_config_default_path()) is used, and a missing file there means
 * the built-in defaults.  A file named explicitly must exist.
 *
 * Returns the configuration, or NULL with a message naming the file, line
 * and key in `err`.  The caller owns the result: pgverify_config_free().
 */
pgverify_config *pgverify_config_load(const char *path, char *err,
				      size_t errlen);
void pgverify_config_free(pgverify_config *cfg);

/*
 * Load the configuration the way the shim does: $PGVERIFY_CONFIG if set
 * (it must then be an absolute path to a readable file), else the default
 * path.  Returns NULL with the reason in `err` on any error.
 */
pgverify_config *pgverify_config_load_default(char *err, size_t errlen);

/* $(sysconfdir)/pgverify.conf, as configured at build time. */
const char *pgverify_config_default_path(void);

/* The path the configuration came from, or NULL for built-in defaults. */
const char *pgverify_config_path(const pgverify_config *cfg);

/* A read-only view of a loaded configuration, for reports. */
typedef struct pgverify_config_view {
	const char *path; /* NULL: built-in defaults */
	const char *sslmode;
	const char *sslrootcert;
	const char *on_disable;
	const char *gssencmode;
	const char *log_level;
	const char *log_target;
	int expiry_warning_days;
	const char *const *exempt;
	size_t nexempt;
	size_t nrules;
	const char *mode;  /* "enforce" or "report" */
	const char *audit; /* "", "syslog" or a path */
	int lock;	   /* lock = true */
} pgverify_config_view;

/* Rule `i` (0-based) of the hosts list; NULL members are unset. */
typedef struct pgverify_rule_view {
	const char *match;
	const char *sslmode;
	const char *sslrootcert;
	const char *mode;
	const char *sslnegotiation;
	const char *verify_name;
} pgverify_rule_view;

void pgverify_config_describe(const pgverify_config *cfg,
			      pgverify_config_view *out);
int pgverify_config_rule(const pgverify_config *cfg, size_t i,
			 pgverify_rule_view *out);

/* Where libpq took an option's value from, in the order it looks. */
typedef enum pgverify_origin {
	PGVERIFY_FROM_UNKNOWN,	   /* not known (the merge did not see it) */
	PGVERIFY_FROM_DEFAULT,	   /* libpq's compiled-in default, or unset */
	PGVERIFY_FROM_OPTIONS,	   /* the options the program passed libpq */
	PGVERIFY_FROM_SERVICE,	   /* the entry of the service named */
	PGVERIFY_FROM_ENVIRONMENT, /* the option's PG* variable */
	/* The service is named and the PG* variable holds the same value:
	 * without reading the service file the two cannot be told apart. */
	PGVERIFY_FROM_SERVICE_OR_ENVIRONMENT
} pgverify_origin;

/*
 * The settings of one connection, merged the way libpq merges them: its own
 * options, then the service file, then the PG* environment variables, then
 * libpq's compiled defaults.  A NULL member is an unset option.
 */
typedef struct pgverify_settings {
	char *host;
	char *hostaddr;
	char *port;
	char *sslmode;
	char *sslrootcert;
	char *gssencmode;
	char *sslkeylogfile; /* libpq 18: where TLS keys would be written */
	char *service; /* the service named, by the options or PGSERVICE */
	/* For audit records: the name the program gives itself. */
	char *application_name;
	char *fallback_application_name;
	pgverify_origin sslmode_from, sslrootcert_from, gssencmode_from;
} pgverify_settings;

/*
 * Merge the options of a keyword/value array, exactly as
 * PQconnectdbParams() would read them, without opening any socket.
 * Returns 0, or -1 with libpq's own complaint about the options in `err`.
 * Release the result with pgverify_settings_clear().
 */
int pgverify_merge_params(const char *const *keywords,
			  const char *const *values, int expand_dbname,
			  pgverify_settings *out, char *err, size_t errlen);

/* The same for a conninfo string or URI, as PQconnectdb() reads it. */
int pgverify_merge_conninfo(const char *conninfo, pgverify_settings *out,
			    char *err, size_t errlen);

void pgverify_settings_clear(pgverify_settings *s);

/* Facts about the process the policy needs but must not look up itself. */
typedef struct pgverify_context {
	int libpq_version;	   /* PQlibVersion(), e.g. 150018 */
	const char *system_bundle; /* OpenSSL's default CA file */
	/* OpenSSL's built-in CA file, which no variable changes: what
	 * "system" means under lock = true. */
	const char *builtin_bundle;
	/* The file of the code that called libpq (psqlodbcw.so, psql), for
	 * messages; NULL when unknown. */
	const char *caller;
} pgverify_context;

typedef enum pgverify_verdict {
	PGVERIFY_LEAVE,	  /* forward exactly as the program asked */
	PGVERIFY_ENFORCE, /* forward with the keywords below appended */
	PGVERIFY_REFUSE	  /* do not connect; `reason` says why */
} pgverify_verdict;

/*
 * The decision for one connection.  The string members point into the
 * configuration, the settings or the context given to pgverify_decide(), or
 * at static strings, and live as long as those do.
 */
typedef struct pgverify_decision {
	pgverify_verdict verdict;
	const char *sslmode_before;   /* the connection's own mode */
	const char *sslmode_after;    /* the mode appended (ENFORCE) */
	char sslrootcert[PATH_MAX];   /* the bundle appended (ENFORCE), or "" */
	const char *bundle_source;    /* "connection", "rule", "config" */
	const char *rule;	      /* the matching rule's glob, or NULL */
	const char *gssencmode;	      /* appended if not NULL (ENFORCE) */
	char reason[1024];	      /* why (REFUSE) or what (LEAVE) */
	char region[PGV_REGION_SIZE]; /* the AWS region put for {region}, or ""
				       */
	int report; /* mode "report" (the global one, or every TCP host's rule):
		       the verdict is only what enforcement would do */
	const char *keylog; /* the connection's sslkeylogfile (unlocked: it is
			       honoured, and said at level warning), or NULL */
	/* "direct" when every TCP host's rule asks for it: appended if this
	 * libpq (17+) has it, else only said (`direct_unused`). */
	const char *sslnegotiation;
	int direct_unused;
	/* Hosts verified under a rule's verify_name: the plan gives libpq
	 * that name as host and the dialled name's addresses as hostaddr. */
	size_t aliased;
} pgverify_decision;

/*
 * The policy: decide what happens to a connection with these merged
 * settings.  Pure: no network, no files, no environment, no globals.
 */
void pgverify_decide(const pgverify_config *cfg, const pgverify_settings *s,
		     const pgverify_context *ctx, pgverify_decision *out);

/*
 * Check a CA bundle the way the shim does before it lets libpq use it: the
 * file exists, is readable, holds only well-formed PEM certificates and at
 * least one that has not expired.  Returns 0, or -1 with the reason in
 * `err`.  `soon` (may be NULL) receives how many certificates expire within
 * `warn_days` days.
 */
int pgverify_bundle_check(const char *path, int warn_days, int *soon, char *err,
			  size_t errlen);

/* What enforcement would have done with a connection report mode left
 * as asked.  NONE (0, false): not a report-mode verdict. */
typedef enum pgverify_would {
	PGVERIFY_WOULD_NONE,
	PGVERIFY_WOULD_NOTHING,
	PGVERIFY_WOULD_UPGRADE,
	PGVERIFY_WOULD_REFUSE
} pgverify_would;

/* "nothing", "upgrade", "refuse" (records, explain --json); NULL for NONE. */
const char *pgverify_would_name(pgverify_would would);

/*
 * Everything the shim decides for one connection, without touching the
 * network: its options merged by libpq, the policy's decision, the bundle
 * check, and the options it would forward.
 */
typedef struct pgverify_plan {
	pgverify_verdict verdict;   /* the final word, bundle check included */
	pgverify_settings settings; /* merged; owned by the plan */
	pgverify_decision decision; /* the policy's answer */
	int changed;		    /* ENFORCE: the options were changed */
	/* ENFORCE: the program itself asked for a mode at least as strong
	 * and named its own bundle (only gssencmode may have changed). */
	int kept;
	char hosts[512];   /* the hosts, for messages */
	char reason[2048]; /* REFUSE / LEAVE: why */
	/* LEAVE, ENFORCE: the options to forward, NULL-terminated, owned
	 * by the plan. */
	const char *const *keywords;
	const char *const *values;
	int expand_dbname;
	/* Report mode: the verdict is LEAVE (forwarded as asked), and `would`
	 * (not PGVERIFY_WOULD_NONE) says what enforcement would have done. */
	pgverify_would would;
	/* ENFORCE, or report mode: the file the server is (or would be)
	 * verified with, or "", and whether its name is checked. */
	char verify_bundle[PATH_MAX];
	int verify_name;
} pgverify_plan;

/* Plan a PQconnectdb(conninfo) call.  Release with pgverify_plan_clear(). */
pgverify_verdict pgverify_plan_conninfo(const pgverify_config *cfg,
					const char *conninfo,
					pgverify_plan *out);
void pgverify_plan_clear(pgverify_plan *plan);

/* One certificate of a bundle, as `pgverify bundle` lists it. */
typedef struct pgverify_cert {
	int index;	      /* 1-based position in the file */
	char subject[256];    /* the subject's CN, else the whole name */
	char issuer[256];     /* the issuer's CN, else the whole name */
	long long not_before; /* seconds since the epoch */
	long long not_after;
	int is_ca;		  /* basicConstraints CA:TRUE */
	char sha256[96];	  /* AA:BB:... of the DER encoding */
	const unsigned char *der; /* the DER encoding, valid during the
				     callback of pgverify_bundle_list() */
	size_t der_len;
} pgverify_cert;

/*
 * Call `each` for every certificate of the PEM file at `path`, in order;
 * a non-zero return from `each` stops the walk and is returned.  Returns
 * 0, or -1 with `err` naming the file and the position (certificate
 * number, line) of anything that is not a well-formed PEM certificate.
 */
int pgverify_bundle_list(const char *path,
			 int (*each)(const pgverify_cert *cert, void *arg),
			 void *arg, char *err, size_t errlen);

/* OpenSSL's default CA file, which sslrootcert "system" means (it honours
 * SSL_CERT_FILE). */
const char *pgverify_system_bundle(void);

/* One host of a connection, as libpq will try it. */
typedef struct pgv_host {
	char host[1024];  /* the host element (a name, or a socket path) */
	char addr[1024];  /* the hostaddr element, or "" */
	char port[32];	  /* the port element, or "" for libpq's default */
	int tcp;	  /* reached over TCP, so TLS applies */
	int named;	  /* host is a name the certificate can be checked on */
	const char *name; /* host if named, else addr: what rules match */
} pgv_host;

/* Walks the host, hostaddr and port lists in step, as libpq pairs them. */
typedef struct pgv_hosts {
	const char *host, *addr, *port;
	size_t count, done;
	int one_port;
} pgv_hosts;

/* Start a walk over `s` (which must outlive it).  Returns -1 if the host
 * and hostaddr lists differ in length, which libpq rejects. */
int pgv_hosts_begin(const pgverify_settings *s, pgv_hosts *it);
/* The next host: 1, 0 at the end, -1 if an element is too long. */
int pgv_hosts_next(pgv_hosts *it, pgv_host *h);

/*
 * 1 if the `n` bytes at `s` are an AWS region name ("us-east-1",
 * "us-gov-west-1", "cn-north-1"): two letters, words, a number, joined by
 * '-'.  0 otherwise.
 */
int pgv_aws_region(const char *s, size_t n);

/*
 * The region an RDS endpoint names: for "<name>.<id>.<region>.rds.
 * amazonaws.com" (or ".com.cn", any case, a trailing dot allowed) write
 * <region>, lower case, to `out`.  Returns 0, or -1 if `host` is not such
 * an endpoint or `out` is too small.
 */
int pgv_rds_region(const char *host, char *out, size_t outlen);

/* Describe one DER-encoded certificate.  Returns 0, or -1 if it does not
 * parse. */
int pgv_cert_from_der(const unsigned char *der, size_t len, int index,
		      pgverify_cert *out);

#endif
