/*
 * The OpenSSL a libpq copy calls, found as the dynamic linker finds it.
 * libpq names each OpenSSL function with a symbol version (OPENSSL_3.0.0,
 * OPENSSL_1_1_0); the dynamic linker binds it to the first definition of
 * that version in the global scope, else in the copy's own dependencies
 * (the other way round under RTLD_DEEPBIND).  Both are asked here: when
 * they agree, or only one answers, that is the function libpq calls;
 * when they disagree, which one libpq reaches cannot be told from outside
 * the loader, and the copy is left alone.  A slot libpq has already bound
 * (BIND_NOW, or called once) must hold exactly the answer.
 */
#include "ssl.h"
#include "dl.h"
#include "dyntab.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <string.h>

enum lib { LIBSSL, LIBCRYPTO };

/*
 * What store.c needs, and from which library.  A function libpq does not
 * call itself (`kin` set) is asked for with the version libpq asks of
 * `kin`, from the same library: every OpenSSL 1.1 and 3 release names
 * these old functions with one version per library.
 */
static const struct fn {
	const char *name;
	const char *kin;
	enum lib lib;
	size_t offset;
	int optional; /* keyshare.c's: a table without them is whole */
} fns[] = {
#define ROW(member, name, kin, lib, optional)                                  \
	{                                                                      \
		name, kin, lib, offsetof(struct pgv_ssl, member), optional     \
	}
#define FN(member, name, kin, lib)	 ROW(member, name, kin, lib, 0)
#define OPTIONAL(member, name, kin, lib) ROW(member, name, kin, lib, 1)
    FN(ctx_load_verify_locations, "SSL_CTX_load_verify_locations", NULL,
       LIBSSL),
    FN(ctx_set_cert_store, "SSL_CTX_set_cert_store",
       "SSL_CTX_load_verify_locations", LIBSSL),
    FN(connect, "SSL_connect", NULL, LIBSSL),
    FN(get_verify_result, "SSL_get_verify_result", "SSL_connect", LIBSSL),
    FN(get_peer_cert_chain, "SSL_get_peer_cert_chain", "SSL_connect", LIBSSL),
    FN(get_ex_data, "SSL_get_ex_data", "SSL_connect", LIBSSL),
    FN(store_load_locations, "X509_STORE_load_locations", NULL, LIBCRYPTO),
    FN(store_set_flags, "X509_STORE_set_flags", NULL, LIBCRYPTO),
    FN(store_new, "X509_STORE_new", "X509_STORE_load_locations", LIBCRYPTO),
    FN(store_up_ref, "X509_STORE_up_ref", "X509_STORE_load_locations",
       LIBCRYPTO),
    FN(store_free, "X509_STORE_free", "X509_STORE_load_locations", LIBCRYPTO),
    FN(err_set_mark, "ERR_set_mark", "X509_STORE_load_locations", LIBCRYPTO),
    FN(err_pop_to_mark, "ERR_pop_to_mark", "X509_STORE_load_locations",
       LIBCRYPTO),
    FN(sk_num, "OPENSSL_sk_num", "X509_STORE_load_locations", LIBCRYPTO),
    FN(sk_value, "OPENSSL_sk_value", "X509_STORE_load_locations", LIBCRYPTO),
    FN(get_issuer_name, "X509_get_issuer_name", "X509_STORE_load_locations",
       LIBCRYPTO),
    FN(name_oneline, "X509_NAME_oneline", "X509_STORE_load_locations",
       LIBCRYPTO),
    OPTIONAL(in_before, "SSL_in_before", "SSL_connect", LIBSSL),
    OPTIONAL(ctrl, "SSL_ctrl", "SSL_connect", LIBSSL),
    OPTIONAL(version_num, "OpenSSL_version_num", "X509_STORE_load_locations",
	     LIBCRYPTO),
    OPTIONAL(cert_area, "X509_get_default_cert_area",
	     "X509_STORE_load_locations", LIBCRYPTO),
    OPTIONAL(conf_new, "NCONF_new", "X509_STORE_load_locations", LIBCRYPTO),
    OPTIONAL(conf_load, "NCONF_load", "X509_STORE_load_locations", LIBCRYPTO),
    OPTIONAL(conf_get_string, "NCONF_get_string", "X509_STORE_load_locations",
	     LIBCRYPTO),
    OPTIONAL(conf_get_section, "NCONF_get_section", "X509_STORE_load_locations",
	     LIBCRYPTO),
    OPTIONAL(conf_free, "NCONF_free", "X509_STORE_load_locations", LIBCRYPTO),
#undef OPTIONAL
#undef FN
#undef ROW
};
#define NFNS (sizeof(fns) / sizeof(*fns))

/* One table per OpenSSL.  Written at bind time under copies.c's lock,
 * never changed after; the hooks read them through store.c's slots. */
static struct pgv_ssl tables[8];
static size_t ntables;

static void *find(void *scope, const char *name, const char *version)
{
	return version ? dlvsym(scope, name, version) : dlsym(scope, name);
}

/* A loaded object: its load bias and its file name ("" for the
 * program). */
struct object {
	ElfW(Addr) base;
	const char *name;
};

struct finding {
	ElfW(Addr) addr;
	struct object *out;
};

static int contains(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct finding *f = arg;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		ElfW(Addr) start = info->dlpi_addr + p->p_vaddr;
		if (p->p_type == PT_LOAD && f->addr >= start &&
		    f->addr < start + p->p_memsz) {
			f->out->base = info->dlpi_addr;
			f->out->name = info->dlpi_name ? info->dlpi_name : "";
			return 1;
		}
	}
	return 0;
}

/* The object of this namespace whose segments hold `addr`: 0, or -1.
 * (dladdr() would also look for the nearest symbol, which costs a walk
 * of libcrypto's whole symbol table each time.) */
static int object_of(const void *addr, struct object *out)
{
	struct finding f = {(ElfW(Addr))addr, out};

	return dl_iterate_phdr(contains, &f) ? 0 : -1;
}

/* The function libpq's import `f` reaches, or NULL with why. */
static void *resolve(const struct pgv_elf *pq, void *copy, const struct fn *f,
		     char *why, size_t whylen)
{
	struct pgv_import imp = {NULL, NULL}, kin = {NULL, NULL};
	struct object bound;
	void *global, *local, *fn;

	if (pgv_elf_import(pq, f->name, &imp) < 0 &&
	    (!f->kin || pgv_elf_import(pq, f->kin, &kin) < 0)) {
		snprintf(why, whylen, "it does not call %s",
			 f->kin ? f->kin : f->name);
		return NULL;
	}
	if (!imp.slot)
		imp.version = kin.version;
	global = find(RTLD_DEFAULT, f->name, imp.version);
	local = find(copy, f->name, imp.version);
	if (global && local && global != local) {
		snprintf(why, whylen,
			 "two OpenSSLs define %s%s%s (the global scope's and "
			 "its own)",
			 f->name, imp.version ? "@" : "",
			 imp.version ? imp.version : "");
		return NULL;
	}
	if (!(fn = global ? global : local)) {
		snprintf(why, whylen, "no object defines %s", f->name);
		return NULL;
	}
	/* Already bound (BIND_NOW, or called once): it must be that one.
	 * An unbound slot points into the copy's own PLT. */
	if (imp.slot && *imp.slot != fn && object_of(*imp.slot, &bound) == 0 &&
	    bound.base != pq->base) {
		snprintf(why, whylen, "its %s is bound to %s", f->name,
			 *bound.name ? bound.name : "the program");
		return NULL;
	}
	return fn;
}

/* Into `t`, the function libpq's import `f` reaches, which must come from
 * the same object as the others of its library (`lib`): 0, or -1 with
 * why. */
static int take(const struct pgv_elf *pq, void *copy, const struct fn *f,
		struct object lib[2], struct pgv_ssl *t, char *why,
		size_t whylen)
{
	void *fn = resolve(pq, copy, f, why, whylen);
	struct object *want = &lib[f->lib], obj;

	if (!fn)
		return -1;
	if (object_of(fn, &obj) < 0 || (want->name && want->base != obj.base)) {
		snprintf(why, whylen,
			 "its OpenSSL functions come from more than one "
			 "object (%s)",
			 f->name);
		return -1;
	}
	*want = obj;
	memcpy((char *)t + f->offset, &fn, sizeof(fn));
	return 0;
}

/* Keep `obj` loaded for the life of the process (nothing for the
 * program, which always is).  -1 if it cannot be opened again. */
static int pin(const struct object *obj, Lmid_t ns, void **out)
{
	*out = NULL;
	if (!*obj->name)
		return 0;
	*out = pgv_dl_mopen(ns, obj->name, RTLD_LAZY | RTLD_NOLOAD);
	return *out ? 0 : -1;
}

static int same_table(const struct pgv_ssl *a, const struct pgv_ssl *b)
{
	for (size_t i = 0; i < NFNS; i++)
		if (memcmp((const char *)a + fns[i].offset,
			   (const char *)b + fns[i].offset, sizeof(void *)))
			return 0;
	return 1;
}

const struct pgv_ssl *pgv_ssl_of(const struct pgv_elf *pq, char *why,
				 size_t whylen)
{
	Lmid_t ns = pgv_dl_own_namespace();
	struct object lib[2] = {{0, NULL}, {0, NULL}};
	struct pgv_ssl t;
	void *copy;
	size_t i;
	int partial = 0;

	memset(&t, 0, sizeof(t));
	copy = pgv_dl_mopen(ns, pq->name, RTLD_LAZY | RTLD_NOLOAD);
	if (!copy) {
		snprintf(why, whylen, "it cannot be opened again");
		return NULL;
	}
	for (i = 0; i < NFNS; i++) {
		char ignored[200];
		int opt = fns[i].optional;
		if (take(pq, copy, &fns[i], lib, &t, opt ? ignored : why,
			 opt ? sizeof(ignored) : whylen) == 0)
			continue;
		if (!opt)
			break;
		partial = 1;
	}
	/* keyshare.c uses its functions together or not at all. */
	for (size_t k = 0; partial && k < NFNS; k++)
		if (fns[k].optional)
			memset((char *)&t + fns[k].offset, 0, sizeof(void *));
	dlclose(copy);
	if (i < NFNS)
		return NULL;
	for (size_t k = 0; k < ntables; k++)
		if (same_table(&tables[k], &t))
			return &tables[k];
	if (ntables == sizeof(tables) / sizeof(*tables)) {
		snprintf(why, whylen, "too many OpenSSLs in one process");
		return NULL;
	}
	if (pin(&lib[LIBSSL], ns, &t.pins[0]) < 0 ||
	    pin(&lib[LIBCRYPTO], ns, &t.pins[1]) < 0) {
		snprintf(why, whylen, "its OpenSSL cannot be opened again");
		if (t.pins[0])
			dlclose(t.pins[0]);
		return NULL;
	}
	tables[ntables] = t;
	return &tables[ntables++];
}
