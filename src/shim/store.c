/*
 * One trust store per bundle file per process; see store.h.
 *
 * libpq 13-18 load the root certificates of a connection in one function
 * (initialize_SSL() in fe-secure-openssl.c), on one thread:
 *
 *   SSL_CTX_load_verify_locations(ctx, sslrootcert, NULL)
 *   store = SSL_CTX_get_cert_store(ctx)
 *   X509_STORE_load_locations(store, sslcrl or ~/.postgresql/root.crl,
 *                             sslcrldir)                    (14+: the dir)
 *   if that returned 1: X509_STORE_set_flags(store, CRL_CHECK | _ALL)
 *
 * The first call gets the bundle's shared store (loaded once, by that
 * OpenSSL's own X509_STORE_load_locations(), as SSL_CTX_load_verify_
 * locations() loads it).  The other two are the only ones by which libpq
 * changes the store: called on a shared store, they first give that
 * SSL_CTX a private store loaded from the file, as libpq would have, and
 * change that one.  `sslrootcert=system` (16+) goes through
 * SSL_CTX_set_default_verify_paths(), which is left alone: its lookups
 * read a directory lazily into the store during verification.
 */
#include "store.h"
#include "forklock.h"
#include "keyshare.h"
#include "tlsfail.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What tells one version of a file from the next: a file renamed over
 * it is another inode, a rewrite changes its size or times. */
struct identity {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

/* One bundle file as one OpenSSL loaded it. */
struct entry {
	const struct pgv_ssl *ssl; /* NULL: a free entry */
	char *path;
	struct identity id;
	X509_STORE *store; /* one reference, the cache's */
	unsigned long long used;
};

/*
 * The cache and its use counter, written and read under `lock`.  A store
 * is loaded under the lock, so a file is parsed once however many threads
 * connect at once.  A file that changed gets a new store, and the old one
 * is released by its last SSL_CTX; past ENTRIES files, the least recently
 * used is released.
 */
#define ENTRIES 16
static struct entry cache[ENTRIES];
static unsigned long long uses;
static struct pgv_fork_lock lock = PGV_FORK_LOCK_INITIALIZER;

/* Each slot's OpenSSL: written once at bind time (release), before the
 * copy's GOT names the slot's hooks; read by them (acquire). */
static const struct pgv_ssl *slot_ssl[PGV_COPIES_MAX];

/*
 * The SSL_CTX this thread last gave a shared store, the store, and the
 * private one it was given instead (NULL: not yet).  libpq's three calls
 * are made in sequence on one thread, so the store libpq then passes to
 * X509_STORE_load_locations() is recognised by its pointer alone.  The
 * path is copied: libpq's buffer is reused for the CRL's.  libpq's paths
 * are at most MAXPGPATH (1024) bytes.  This thread's only.
 */
static __thread struct {
	SSL_CTX *ctx;
	X509_STORE *shared, *private_;
	const struct pgv_ssl *ssl;
	char path[1024];
} last;

void pgv_store_attach(int slot, const struct pgv_ssl *ssl)
{
	__atomic_store_n(&slot_ssl[slot], ssl, __ATOMIC_RELEASE);
}

static const struct pgv_ssl *ssl_at(int slot)
{
	return __atomic_load_n(&slot_ssl[slot], __ATOMIC_ACQUIRE);
}

int pgv_store_connect(int slot, SSL *ssl)
{
	const struct pgv_ssl *t = ssl_at(slot);

	pgv_keyshare_prepare(t, ssl);
	return pgv_tls_connect(t, ssl);
}

static int identify(const char *path, struct identity *id)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return -1;
	memset(id, 0, sizeof(*id));
	id->dev = st.st_dev;
	id->ino = st.st_ino;
	id->size = st.st_size;
	id->mtime = st.st_mtim;
	id->ctime = st.st_ctim;
	return 0;
}

static int same(const struct identity *a, const struct identity *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec &&
	       a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec &&
	       a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* A new store holding `path`'s certificates, loaded as
 * SSL_CTX_load_verify_locations(ctx, path, NULL) loads them into a new
 * SSL_CTX's store; NULL if that fails (the caller lets libpq's own call
 * fail, with its own message).  The error queue is left as it was. */
static X509_STORE *load(const struct pgv_ssl *ssl, const char *path)
{
	X509_STORE *store;

	ssl->err_set_mark();
	store = ssl->store_new();
	if (store && ssl->store_load_locations(store, path, NULL) != 1) {
		ssl->store_free(store);
		store = NULL;
	}
	ssl->err_pop_to_mark();
	return store;
}

/* Release `e`'s store (freed when no SSL_CTX holds it) and the entry. */
static void drop(struct entry *e)
{
	e->ssl->store_free(e->store);
	free(e->path);
	memset(e, 0, sizeof(*e));
}

/* The entry for `path` loaded by `ssl`, else a free one (the least
 * recently used, released, when none is free); under `lock`. */
static struct entry *slot_for(const struct pgv_ssl *ssl, const char *path)
{
	struct entry *e, *victim = &cache[0];

	for (e = cache; e < cache + ENTRIES; e++)
		if (e->ssl == ssl && strcmp(e->path, path) == 0)
			return e;
	for (e = cache; e < cache + ENTRIES; e++) {
		if (!e->ssl)
			return e;
		if (e->used < victim->used)
			victim = e;
	}
	drop(victim);
	return victim;
}

/*
 * The shared store for the bundle `path` as it is now, with one reference
 * for the caller; NULL if it cannot be loaded.  A file that changes while
 * it is loaded is used by this connection only, and loaded again by the
 * next.  Under the lock run only stat() and that OpenSSL's loading of a
 * PEM file: libpq's SSL_CTX_new() initialised OpenSSL before (its
 * configuration, the one place where it loads objects), so no dlopen(),
 * and no other lock (copies.c's), is reached from here.
 */
static X509_STORE *shared_store(const struct pgv_ssl *ssl, const char *path)
{
	struct identity before, after;
	struct entry *e;
	X509_STORE *store = NULL;
	char *copy;

	if (identify(path, &before) < 0)
		return NULL;
	pgv_fork_lock(&lock);
	e = slot_for(ssl, path);
	if (e->ssl && same(&e->id, &before)) {
		store = e->store;
		ssl->store_up_ref(store);
		e->used = ++uses;
		goto out;
	}
	if (e->ssl)
		drop(e);
	if (!(store = load(ssl, path)))
		goto out;
	if (identify(path, &after) < 0 || !same(&before, &after) ||
	    !(copy = strdup(path)))
		goto out;
	*e = (struct entry){ssl, copy, before, store, ++uses};
	ssl->store_up_ref(store);
out:
	pgv_fork_unlock(&lock);
	return store;
}

int pgv_store_ctx_load_verify(int slot, SSL_CTX *ctx, const char *file,
			      const char *dir)
{
	const struct pgv_ssl *ssl = ssl_at(slot);
	X509_STORE *store;

	last.ctx = NULL;
	last.shared = last.private_ = NULL;
	last.ssl = NULL;
	if (!file || dir || strlen(file) >= sizeof(last.path) ||
	    !(store = shared_store(ssl, file)))
		return ssl->ctx_load_verify_locations(ctx, file, dir);
	/* The SSL_CTX takes our reference, and frees its own new store. */
	ssl->ctx_set_cert_store(ctx, store);
	last.ctx = ctx;
	last.shared = store;
	last.ssl = ssl;
	strcpy(last.path, file);
	return 1;
}

/*
 * The private store of the SSL_CTX that holds the shared store `shared`:
 * made the first time, loaded from the bundle as libpq would have loaded
 * it.  If the bundle cannot be loaded again (it was removed since), the
 * store stays empty: that connection verifies nothing and fails, and the
 * shared store is still not touched.  NULL only when out of memory, where
 * libpq's own call would have failed too.
 */
static X509_STORE *private_store(void)
{
	const struct pgv_ssl *ssl = last.ssl;
	X509_STORE *store;

	if (last.private_)
		return last.private_;
	if (!(store = ssl->store_new()))
		return NULL;
	ssl->err_set_mark();
	ssl->store_load_locations(store, last.path, NULL);
	ssl->err_pop_to_mark();
	/* Frees the SSL_CTX's reference to the shared store. */
	ssl->ctx_set_cert_store(last.ctx, store);
	return last.private_ = store;
}

int pgv_store_load_locations(int slot, X509_STORE *store, const char *file,
			     const char *dir)
{
	const struct pgv_ssl *ssl = ssl_at(slot);
	X509_STORE *mine;

	if (!store || store != last.shared)
		return ssl->store_load_locations(store, file, dir);
	ssl = last.ssl;
	/* Every connection without sslcrl asks for ~/.postgresql/root.crl,
	 * which rarely exists: tried on a scratch store, which gives the same
	 * answer and errors, so the shared store is kept. */
	if (file && !dir && access(file, F_OK) != 0) {
		X509_STORE *scratch = ssl->store_new();
		int rc =
		    scratch ? ssl->store_load_locations(scratch, file, dir) : 0;
		if (scratch)
			ssl->store_free(scratch);
		if (rc != 1)
			return rc;
		/* It appeared meanwhile: load it where it belongs. */
	}
	if (!(mine = private_store()))
		return 0;
	return ssl->store_load_locations(mine, file, dir);
}

int pgv_store_set_flags(int slot, X509_STORE *store, unsigned long flags)
{
	const struct pgv_ssl *ssl = ssl_at(slot);
	X509_STORE *mine;

	if (!store || store != last.shared)
		return ssl->store_set_flags(store, flags);
	if (!(mine = private_store()))
		return 0;
	return last.ssl->store_set_flags(mine, flags);
}
