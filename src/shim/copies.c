/*
 * The libpq copies of this namespace, each bound before the program can
 * reach it.  A copy is found by what it defines (libpq's connection
 * functions and PQconninfo()), never by its file name or soname, so a
 * wheel's libpq-3b7c1a2e.so.5.17 is found like the system's libpq.so.5.
 * Its symbol table then names its own hooks (stubs.c): that is also the
 * mark that it is bound, so a copy unloaded and another loaded at the same
 * address is never taken for the old one.
 */
#include "copies.h"
#include "bind.h"
#include "dl.h"
#include "dyntab.h"
#include "forklock.h"
#include "log.h"

#include <link.h>
#include <stdio.h>
#include <string.h>

/*
 * Slot k's entry is written once, under `lock`, before `ncopies` is raised
 * past k (release); readers load `ncopies` (acquire) and then read entries
 * below it without the lock.  `refusal[k]` may be set later, once, under
 * the lock (a binding step after the copy became reachable failed).
 * `broken` is set once, under the lock: a copy whose symbol table could
 * not be changed stays reachable, so every connection is refused.
 */
static struct pgv_libpq copies[PGV_COPIES_MAX];
static char refusal[PGV_COPIES_MAX][512];
static size_t ncopies;
static char broken[512];
static struct pgv_fork_lock lock = PGV_FORK_LOCK_INITIALIZER;
/* The loader's counters at the last scan; written under `lock`, read
 * without it as a hint (a stale read only costs one more scan). */
static unsigned long long seen_adds, seen_subs;

struct counts {
	unsigned long long adds, subs;
};

static int first_counts(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct counts *c = arg;

	(void)size;
	c->adds = info->dlpi_adds;
	c->subs = info->dlpi_subs;
	return 1;
}

static struct counts loader_counts(void)
{
	struct counts c = {0, 0};

	dl_iterate_phdr(first_counts, &c);
	return c;
}

/* The slot whose hook `entry` is at `addr`, or -1. */
static int slot_of_stub(const void *addr, enum pgv_entry entry)
{
	for (int k = 0; k <= PGV_COPIES_MAX; k++)
		if (pgv_stubs[k][entry] == addr)
			return k;
	return -1;
}

/* A copy with no slot (or none of its own functions): its hooks are the
 * refusing set, and its callers are told why in the log. */
static void bind_unbound(const struct pgv_elf *obj, const char *why)
{
	const void *reals[PGV_NHOOKS];
	char err[512];

	pgv_bind_reals(obj, reals);
	if (pgv_bind_symbols(obj, pgv_stubs[PGV_SLOT_UNBOUND], err,
			     sizeof(err)) < 0 ||
	    pgv_bind_rebind(reals, pgv_stubs[PGV_SLOT_UNBOUND], err,
			    sizeof(err)) < 0)
		snprintf(broken, sizeof(broken), "%s", err);
	pgv_log(PGV_LOG_ERROR,
		"libpq %s: %s; every connection through it will be refused",
		obj->name, why);
}

/* After `k` was published: the steps that make it the only way in. */
static void make_reachable(int k, const struct pgv_elf *obj,
			   const void *reals[PGV_NHOOKS])
{
	char err[512];

	if (pgv_bind_symbols(obj, pgv_stubs[k], err, sizeof(err)) < 0) {
		snprintf(broken, sizeof(broken), "%s", err);
		pgv_log(PGV_LOG_ERROR,
			"%s: every connection of this program will be refused",
			err);
		return;
	}
	if (pgv_bind_rebind(reals, pgv_stubs[k], err, sizeof(err)) < 0 ||
	    pgv_bind_check(obj->name, pgv_stubs[k], err, sizeof(err)) < 0) {
		snprintf(refusal[k], sizeof(refusal[k]), "%s", err);
		pgv_log(PGV_LOG_ERROR,
			"%s: every connection through it will be refused", err);
	}
}

/* Give the libpq `obj` the next slot; under `lock`. */
static void bind_copy(const struct link_map *lm, const struct pgv_elf *obj)
{
	size_t k = ncopies;
	struct pgv_libpq *pq = &copies[k];
	const void *reals[PGV_NHOOKS];
	char err[512];

	if (k == PGV_COPIES_MAX) {
		bind_unbound(obj, "more libpq copies than pgverify has slots");
		return;
	}
	memset(pq, 0, sizeof(*pq));
	pgv_bind_reals(obj, reals);
	if (pgv_libpq_resolve(pq, obj, err, sizeof(err)) < 0) {
		bind_unbound(obj, err);
		return;
	}
	pq->path = lm->l_name;
	pq->lm = lm;
	if (pgv_bind_inputs(obj, refusal[k], sizeof(refusal[k])) < 0)
		pgv_log(PGV_LOG_ERROR,
			"%s: every connection through it will be refused",
			refusal[k]);
	if (pgv_bind_store(obj, (int)k, err, sizeof(err)) == 0)
		pgv_debug("libpq %s loads its root certificates itself for "
			  "each connection: %s",
			  obj->name, err);
	pgv_libpq_find_error(pq);
	__atomic_store_n(&ncopies, k + 1, __ATOMIC_RELEASE);
	make_reachable((int)k, obj, reals);
	pgv_debug("bound libpq %s (%d) to slot %zu", pq->path, pq->version, k);
}

/* A libpq whose symbol table does not name hooks yet: only these are
 * pinned and looked at again. */
static int unbound_libpq(const struct pgv_elf *obj)
{
	const ElfW(Sym) * sym;

	if (!pgv_bind_is_libpq(obj))
		return 0;
	sym = pgv_elf_lookup(obj, "PQconnectdb");
	return slot_of_stub((void *)(obj->base + sym->st_value),
			    PGV_CONNECTDB) < 0;
}

/* Bind it; under `lock`. */
static int visit(const struct link_map *lm, void *self)
{
	struct pgv_elf obj;

	if (lm != self && pgv_elf_open(lm, &obj) == 0 && unbound_libpq(&obj))
		bind_copy(lm, &obj);
	return 0;
}

/* Every libpq of this namespace; under `lock`.  If the objects cannot
 * even be listed, nothing can be known to be bound: every connection is
 * refused. */
static void scan(void)
{
	const struct link_map *self =
	    pgv_dl_object_of((void *)pgv_copies_refresh);

	if (pgv_bind_each_object(pgv_dl_own_namespace(), unbound_libpq, visit,
				 (void *)self) < 0 &&
	    !broken[0])
		snprintf(broken, sizeof(broken),
			 "out of memory listing the loaded objects");
}

void pgv_copies_refresh(void)
{
	struct counts now = loader_counts();

	if (now.adds == __atomic_load_n(&seen_adds, __ATOMIC_RELAXED) &&
	    now.subs == __atomic_load_n(&seen_subs, __ATOMIC_RELAXED))
		return;
	pgv_fork_lock(&lock);
	if (now.adds != seen_adds || now.subs != seen_subs) {
		scan();
		__atomic_store_n(&seen_adds, now.adds, __ATOMIC_RELAXED);
		__atomic_store_n(&seen_subs, now.subs, __ATOMIC_RELAXED);
	}
	pgv_fork_unlock(&lock);
}

const struct pgv_libpq *pgv_copy_at(int slot)
{
	size_t n = __atomic_load_n(&ncopies, __ATOMIC_ACQUIRE);

	return slot >= 0 && (size_t)slot < n ? &copies[slot] : NULL;
}

const char *pgv_copy_refusal(const struct pgv_libpq *pq)
{
	const char *why;

	pgv_fork_lock(&lock);
	why = broken[0]			? broken
	      : refusal[pq - copies][0] ? refusal[pq - copies]
					: NULL;
	pgv_fork_unlock(&lock);
	return why;
}

/* The copy that holds `lm`, or NULL. */
static const struct pgv_libpq *copy_of_object(const struct link_map *lm)
{
	size_t n = __atomic_load_n(&ncopies, __ATOMIC_ACQUIRE);

	for (size_t k = 0; lm && k < n; k++)
		if (copies[k].lm == lm)
			return &copies[k];
	return NULL;
}

/* The copy that `fn`, a lookup's answer for hook `entry`, belongs to. */
static const struct pgv_libpq *
copy_of_answer(const void *fn, enum pgv_entry entry, char *err, size_t errlen)
{
	int k = slot_of_stub(fn, entry);
	const struct link_map *lm = pgv_dl_object_of(fn);
	const struct pgv_libpq *pq;

	if (k == PGV_SLOT_UNBOUND) {
		snprintf(err, errlen, "the libpq %s could not be bound",
			 lm ? lm->l_name : "?");
		return NULL;
	}
	if (k >= 0)
		return pgv_copy_at(k);
	if (lm == pgv_dl_object_of((void *)pgv_copies_refresh)) {
		snprintf(err, errlen,
			 "the calling object is linked with pgverify ahead of "
			 "its own libpq in a private scope; link it with "
			 "libpq's names from one libpq only");
		return NULL;
	}
	if ((pq = copy_of_object(lm)))
		return pq;
	snprintf(err, errlen,
		 "%s reached %s in %s, which pgverify has not "
		 "bound",
		 "the caller", pgv_hook_names[entry], lm ? lm->l_name : "?");
	return NULL;
}

const struct pgv_libpq *pgv_copy_for_caller(const void *ret,
					    enum pgv_entry entry, char *err,
					    size_t errlen)
{
	const struct link_map *lm = pgv_dl_object_of(ret);
	const struct pgv_libpq *pq = copy_of_object(lm);
	const char *name = pgv_hook_names[entry];
	void *fn, *h;

	/* A copy's own call, through its PLT into the global scope. */
	if (pq)
		return pq;
	/* The global scope after pgverify, then the caller's own. */
	fn = dlsym(RTLD_NEXT, name);
	if (!fn && lm) {
		h = pgv_dl_open(*lm->l_name ? lm->l_name : NULL,
				RTLD_LAZY | RTLD_NOLOAD);
		fn = h ? dlsym(h, name) : NULL;
		if (h)
			dlclose(h);
	}
	if (!fn) {
		snprintf(err, errlen, "no libpq defines %s for %s", name,
			 lm && *lm->l_name ? lm->l_name : "the program");
		return NULL;
	}
	return copy_of_answer(fn, entry, err, errlen);
}
