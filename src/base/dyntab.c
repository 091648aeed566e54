/*
 * The dynamic linking tables of loaded objects, read from memory: what the
 * dynamic linker itself reads (DT_SYMTAB, the hash tables, the relocation
 * tables) and nothing else, so that changing them changes exactly what the
 * dynamic linker does next.  Pages are made writable only for the one
 * write, under one lock, and given back their protection.
 */
#include "dyntab.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if __ELF_NATIVE_CLASS == 64
#define ELF_CLASS_NATIVE ELFCLASS64
#define R_TYPE_OF(info)	 ELF64_R_TYPE(info)
#define R_SYM_OF(info)	 ELF64_R_SYM(info)
#else
#define ELF_CLASS_NATIVE ELFCLASS32
#define R_TYPE_OF(info)	 ELF32_R_TYPE(info)
#define R_SYM_OF(info)	 ELF32_R_SYM(info)
#endif

#if defined(__x86_64__)
#define R_SLOT R_X86_64_JUMP_SLOT
#define R_GOT  R_X86_64_GLOB_DAT
#define R_ABS  R_X86_64_64
#define RELA   1
#elif defined(__aarch64__)
#define R_SLOT R_AARCH64_JUMP_SLOT
#define R_GOT  R_AARCH64_GLOB_DAT
#define R_ABS  R_AARCH64_ABS64
#define RELA   1
#elif defined(__i386__)
#define R_SLOT R_386_JMP_SLOT
#define R_GOT  R_386_GLOB_DAT
#define R_ABS  R_386_32
#define RELA   0
#elif defined(__arm__)
#define R_SLOT R_ARM_JUMP_SLOT
#define R_GOT  R_ARM_GLOB_DAT
#define R_ABS  R_ARM_ABS32
#define RELA   0
#else
#error                                                                         \
    "pgverify: add this architecture's JUMP_SLOT/GLOB_DAT/ABS relocation types to src/base/dyntab.c"
#endif

/* Serialises every write: two writers on one page would race on its
 * protection.  Held only around a write. */
static pthread_mutex_t write_lock = PTHREAD_MUTEX_INITIALIZER;

struct find_phdr {
	const void *ld;
	const ElfW(Phdr) * phdr;
	size_t phnum;
};

static int match_dynamic(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct find_phdr *f = arg;

	(void)size;
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type == PT_DYNAMIC &&
		    (const void *)(info->dlpi_addr + p->p_vaddr) == f->ld) {
			f->phdr = info->dlpi_phdr;
			f->phnum = info->dlpi_phnum;
			return 1;
		}
	}
	return 0;
}

/* glibc stores relocated addresses in the dynamic section; musl and the
 * vDSO leave them as file addresses. */
static const void *dyn_ptr(const struct pgv_elf *obj, ElfW(Addr) ptr)
{
	return (const void *)(ptr < obj->base ? ptr + obj->base : ptr);
}

static void read_dynamic(const ElfW(Dyn) * d, struct pgv_elf *out)
{
	ElfW(Addr) soname = 0;
	int have_soname = 0;

	for (; d->d_tag != DT_NULL; d++) {
		const void *p = dyn_ptr(out, d->d_un.d_ptr);
		switch (d->d_tag) {
		case DT_SYMTAB:
			out->symtab = p;
			break;
		case DT_STRTAB:
			out->strtab = p;
			break;
		case DT_STRSZ:
			out->strsz = d->d_un.d_val;
			break;
		case DT_GNU_HASH:
			out->gnu_hash = p;
			break;
		case DT_HASH:
			out->hash = p;
			break;
		case DT_SONAME:
			soname = d->d_un.d_val;
			have_soname = 1;
			break;
		case DT_VERSYM:
			out->versym = p;
			break;
		case DT_VERNEED:
			out->verneed = p;
			break;
		case DT_VERNEEDNUM:
			out->verneednum = d->d_un.d_val;
			break;
		case DT_JMPREL:
			out->rel[0] = p;
			break;
		case DT_PLTRELSZ:
			out->relsz[0] = d->d_un.d_val;
			break;
		case DT_PLTREL:
			out->rela = d->d_un.d_val == DT_RELA;
			break;
		case DT_RELA:
		case DT_REL:
			out->rel[1] = p;
			out->rela = d->d_tag == DT_RELA;
			break;
		case DT_RELASZ:
		case DT_RELSZ:
			out->relsz[1] = d->d_un.d_val;
			break;
		}
	}
	if (have_soname && out->strtab && soname < out->strsz)
		out->soname = out->strtab + soname;
}

/*
 * dl_iterate_phdr() reports the caller's namespace only.  An object of
 * another one (dlmopen()) is a shared object whose first segment, at its
 * load bias, starts with its ELF header and program headers.
 */
static int headers_in_memory(const struct link_map *lm, struct find_phdr *f)
{
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)lm->l_addr;

	if (lm->l_addr == 0 || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELF_CLASS_NATIVE || eh->e_type != ET_DYN)
		return 0;
	f->phdr = (const ElfW(Phdr) *)(lm->l_addr + eh->e_phoff);
	f->phnum = eh->e_phnum;
	for (size_t i = 0; i < f->phnum; i++)
		if (f->phdr[i].p_type == PT_DYNAMIC &&
		    (const void *)(lm->l_addr + f->phdr[i].p_vaddr) == f->ld)
			return 1;
	return 0;
}

int pgv_elf_open(const struct link_map *lm, struct pgv_elf *out)
{
	struct find_phdr f = {lm->l_ld, NULL, 0};

	memset(out, 0, sizeof(*out));
	if (!lm->l_ld ||
	    (!dl_iterate_phdr(match_dynamic, &f) && !headers_in_memory(lm, &f)))
		return -1;
	out->base = lm->l_addr;
	out->name = lm->l_name;
	out->phdr = f.phdr;
	out->phnum = f.phnum;
	out->rela = RELA;
	read_dynamic(lm->l_ld, out);
	return out->symtab && out->strtab ? 0 : -1;
}

int pgv_elf_open_info(const struct dl_phdr_info *info, struct pgv_elf *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
			continue;
		out->base = info->dlpi_addr;
		out->name = info->dlpi_name;
		out->phdr = info->dlpi_phdr;
		out->phnum = info->dlpi_phnum;
		out->rela = RELA;
		read_dynamic((const ElfW(Dyn) *)(info->dlpi_addr +
						 info->dlpi_phdr[i].p_vaddr),
			     out);
		return out->symtab && out->strtab ? 0 : -1;
	}
	return -1;
}

static int is_named(const struct pgv_elf *obj, const ElfW(Sym) * sym,
		    const char *name)
{
	return sym->st_name < obj->strsz &&
	       strcmp(obj->strtab + sym->st_name, name) == 0;
}

static int is_defined(const ElfW(Sym) * sym)
{
	return sym->st_shndx != SHN_UNDEF && sym->st_value != 0;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

static uint32_t sysv_hash(const char *s)
{
	uint32_t h = 0, g;

	for (; *s; s++) {
		h = (h << 4) + (unsigned char)*s;
		g = h & 0xf0000000;
		h ^= g >> 24;
		h &= ~g;
	}
	return h;
}

static const ElfW(Sym) * lookup_gnu(const struct pgv_elf *obj, const char *name)
{
	const uint32_t *h = obj->gnu_hash;
	uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
	const uint32_t *buckets =
	    (const uint32_t *)((const ElfW(Addr) *)&h[4] + bloom_size);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t hash = gnu_hash(name);

	if (nbuckets == 0)
		return NULL;
	for (uint32_t i = buckets[hash % nbuckets]; i >= symoffset; i++) {
		const ElfW(Sym) *sym = &obj->symtab[i];
		uint32_t h2 = chain[i - symoffset];
		if ((h2 | 1) == (hash | 1) && is_named(obj, sym, name) &&
		    is_defined(sym))
			return sym;
		if (h2 & 1)
			break;
	}
	return NULL;
}

static const ElfW(Sym) *
    lookup_sysv(const struct pgv_elf *obj, const char *name)
{
	const uint32_t *h = obj->hash;
	uint32_t nbucket = h[0];
	const uint32_t *bucket = &h[2], *chain = &h[2 + nbucket];

	if (nbucket == 0)
		return NULL;
	for (uint32_t i = bucket[sysv_hash(name) % nbucket]; i; i = chain[i])
		if (is_named(obj, &obj->symtab[i], name) &&
		    is_defined(&obj->symtab[i]))
			return &obj->symtab[i];
	return NULL;
}

const ElfW(Sym) * pgv_elf_lookup(const struct pgv_elf *obj, const char *name)
{
	if (obj->gnu_hash)
		return lookup_gnu(obj, name);
	if (obj->hash)
		return lookup_sysv(obj, name);
	return NULL;
}

static int segment_prot(ElfW(Word) flags)
{
	return (flags & PF_R ? PROT_READ : 0) |
	       (flags & PF_W ? PROT_WRITE : 0) | (flags & PF_X ? PROT_EXEC : 0);
}

/*
 * The protection the page holding `addr` has now: a segment's own, except
 * that the dynamic linker made PT_GNU_RELRO read-only after relocating,
 * rounded down to whole pages at both ends as glibc does.  -1 if `addr` is
 * in no segment.
 */
static int page_prot(const struct pgv_elf *obj, ElfW(Addr) addr)
{
	ElfW(Addr) page = (ElfW(Addr))sysconf(_SC_PAGESIZE);
	int prot = -1;

	for (size_t i = 0; i < obj->phnum; i++) {
		const ElfW(Phdr) *p = &obj->phdr[i];
		ElfW(Addr) start = obj->base + p->p_vaddr;
		if (p->p_type == PT_LOAD && addr >= start &&
		    addr < start + p->p_memsz)
			prot = segment_prot(p->p_flags);
	}
	for (size_t i = 0; prot >= 0 && i < obj->phnum; i++) {
		const ElfW(Phdr) *p = &obj->phdr[i];
		ElfW(Addr) start = (obj->base + p->p_vaddr) & ~(page - 1);
		ElfW(Addr) end =
		    (obj->base + p->p_vaddr + p->p_memsz) & ~(page - 1);
		if (p->p_type == PT_GNU_RELRO && addr >= start && addr < end)
			prot = PROT_READ;
	}
	return prot;
}

/* Store one aligned word at `addr` inside `obj`. */
static int write_word(const struct pgv_elf *obj, ElfW(Addr) addr,
		      ElfW(Addr) value)
{
	ElfW(Addr) pagesize = (ElfW(Addr))sysconf(_SC_PAGESIZE);
	void *page = (void *)(addr & ~(pagesize - 1));
	int prot = page_prot(obj, addr), rc = 0;

	if (prot < 0) {
		errno = EFAULT;
		return -1;
	}
	pthread_mutex_lock(&write_lock);
	if (!(prot & PROT_WRITE) &&
	    mprotect(page, pagesize, prot | PROT_WRITE) < 0) {
		rc = -1;
	} else {
		__atomic_store_n((ElfW(Addr) *)addr, value, __ATOMIC_RELEASE);
		if (!(prot & PROT_WRITE) && mprotect(page, pagesize, prot) < 0)
			rc = -1;
	}
	pthread_mutex_unlock(&write_lock);
	return rc;
}

int pgv_elf_redirect_symbol(const struct pgv_elf *obj, const ElfW(Sym) * sym,
			    void *target)
{
	/* Wraps around for a target below the base: the linker adds the
	 * same base back, modulo the word size. */
	return write_word(obj, (ElfW(Addr)) & sym->st_value,
			  (ElfW(Addr))target - obj->base);
}

struct reloc {
	ElfW(Addr) offset;
	ElfW(Xword) info;
	ElfW(Sxword) addend;
};

static struct reloc reloc_at(const struct pgv_elf *obj, const void *table,
			     size_t i)
{
	struct reloc r = {0, 0, 0};

	if (obj->rela) {
		const ElfW(Rela) *a = (const ElfW(Rela) *)table + i;
		r.offset = a->r_offset;
		r.info = a->r_info;
		r.addend = a->r_addend;
	} else {
		const ElfW(Rel) *a = (const ElfW(Rel) *)table + i;
		r.offset = a->r_offset;
		r.info = a->r_info;
	}
	return r;
}

/* The symbol a function-address relocation names, or NULL. */
static const char *address_of(const struct pgv_elf *obj, struct reloc r)
{
	unsigned long type = R_TYPE_OF(r.info);
	unsigned long symidx = R_SYM_OF(r.info);
	const ElfW(Sym) *sym = &obj->symtab[symidx];

	if (symidx == 0 || r.addend != 0 ||
	    (type != R_SLOT && type != R_GOT && type != R_ABS) ||
	    sym->st_name >= obj->strsz)
		return NULL;
	return obj->strtab + sym->st_name;
}

static const struct pgv_rebind *matching(const struct pgv_elf *obj,
					 struct reloc r, const void *now,
					 const struct pgv_rebind *rb, size_t n)
{
	const char *name = NULL;

	for (size_t i = 0; i < n; i++) {
		if (now == rb[i].to || (rb[i].from && now != rb[i].from))
			continue;
		if (!name && !(name = address_of(obj, r)))
			return NULL;
		if (strcmp(name, rb[i].name) == 0)
			return &rb[i];
	}
	return NULL;
}

int pgv_elf_rebind(const struct pgv_elf *obj, const struct pgv_rebind *rb,
		   size_t n)
{
	size_t entsize = obj->rela ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel));
	int changed = 0;

	for (int t = 0; t < 2; t++) {
		/* DT_PLTREL and DT_RELA/DT_REL agree on every architecture
		 * handled above (each uses one kind). */
		for (size_t i = 0; obj->rel[t] && i < obj->relsz[t] / entsize;
		     i++) {
			struct reloc r = reloc_at(obj, obj->rel[t], i);
			unsigned long type = R_TYPE_OF(r.info);
			ElfW(Addr) slot = obj->base + r.offset;
			const struct pgv_rebind *m;
			if (type != R_SLOT && type != R_GOT && type != R_ABS)
				continue;
			m = matching(obj, r, *(const void *const *)slot, rb, n);
			if (!m)
				continue;
			if (write_word(obj, slot, (ElfW(Addr))m->to) < 0)
				return -1;
			changed++;
		}
	}
	return changed;
}

/* The name of version index `ndx` among the versions `obj` needs, or
 * NULL (0 and 1 are "local" and "global": no version). */
static const char *needed_version(const struct pgv_elf *obj, ElfW(Half) ndx)
{
	const char *p = (const char *)obj->verneed;

	for (size_t i = 0; p && ndx > 1 && i < obj->verneednum; i++) {
		const ElfW(Verneed) *vn = (const ElfW(Verneed) *)p;
		const char *a = p + vn->vn_aux;
		for (size_t j = 0; j < vn->vn_cnt; j++) {
			const ElfW(Vernaux) *aux = (const ElfW(Vernaux) *)a;
			if (aux->vna_other == ndx)
				return aux->vna_name < obj->strsz
					   ? obj->strtab + aux->vna_name
					   : NULL;
			a += aux->vna_next;
		}
		p += vn->vn_next;
	}
	return NULL;
}

int pgv_elf_import(const struct pgv_elf *obj, const char *name,
		   struct pgv_import *out)
{
	size_t entsize = obj->rela ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel));

	for (int t = 0; t < 2; t++)
		for (size_t i = 0; obj->rel[t] && i < obj->relsz[t] / entsize;
		     i++) {
			struct reloc r = reloc_at(obj, obj->rel[t], i);
			const char *sym = address_of(obj, r);
			if (!sym || strcmp(sym, name) != 0)
				continue;
			out->slot = (const void *const *)(obj->base + r.offset);
			out->version =
			    obj->versym
				? needed_version(obj,
						 obj->versym[R_SYM_OF(r.info)] &
						     0x7fff)
				: NULL;
			return 0;
		}
	return -1;
}

int pgv_elf_count_relocs(const struct pgv_elf *obj, const char *name)
{
	size_t entsize = obj->rela ? sizeof(ElfW(Rela)) : sizeof(ElfW(Rel));
	int n = 0;

	for (int t = 0; t < 2; t++)
		for (size_t i = 0; obj->rel[t] && i < obj->relsz[t] / entsize;
		     i++) {
			const char *sym =
			    address_of(obj, reloc_at(obj, obj->rel[t], i));
			n += sym && strcmp(sym, name) == 0;
		}
	return n;
}

int pgv_elf_is_exec(const struct pgv_elf *obj, const void *addr)
{
	int prot = page_prot(obj, (ElfW(Addr))addr);

	return prot >= 0 && (prot & PROT_EXEC);
}
