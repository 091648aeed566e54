/*
 * Reading and changing the dynamic linking tables of objects already loaded
 * in this process: their symbol tables, relocations and the memory those
 * point to.  Used by bind.c; nothing here knows about libpq.
 */
#ifndef PGV_DYNTAB_H
#define PGV_DYNTAB_H

#include <elf.h>
#include <link.h>
#include <stddef.h>
#include <stdint.h>

struct pgv_elf {
	ElfW(Addr) base; /* load bias: file addresses + base = memory */
	const char *name;
	const ElfW(Sym) * symtab;
	const char *strtab;
	size_t strsz;
	const uint32_t *gnu_hash; /* DT_GNU_HASH, or NULL */
	const uint32_t *hash;	  /* DT_HASH, or NULL */
	const char *soname;	  /* DT_SONAME, or NULL */
	const void *rel[2];	  /* DT_JMPREL, then DT_RELA or DT_REL */
	size_t relsz[2];
	int rela; /* the tables hold ElfW(Rela), not ElfW(Rel) */
	const ElfW(Phdr) * phdr;
	size_t phnum;

	/* The versions of the symbols it imports (DT_VERSYM, DT_VERNEED):
	 * NULL when it names none. */
	const ElfW(Half) * versym;
	const ElfW(Verneed) * verneed;
	size_t verneednum;
};

/* Read the dynamic section of the object `lm`.  0, or -1 when it has none
 * or its program headers cannot be found (the vDSO, for one). */
int pgv_elf_open(const struct link_map *lm, struct pgv_elf *out);

/* The same from what dl_iterate_phdr() reports of an object (its callback
 * holds the loader's lock, so the object stays while it runs). */
int pgv_elf_open_info(const struct dl_phdr_info *info, struct pgv_elf *out);

/* The defined dynamic symbol `name` of `obj`, or NULL. */
const ElfW(Sym) * pgv_elf_lookup(const struct pgv_elf *obj, const char *name);

/* Make `sym` resolve to `target` for every later lookup: dlsym() on the
 * object, and the binding of objects that find the symbol there.  0, or -1
 * with errno when the page could not be made writable. */
int pgv_elf_redirect_symbol(const struct pgv_elf *obj, const ElfW(Sym) * sym,
			    void *target);

/* One rebinding: slots for the function `name` holding `from` (or
 * anything, for NULL) are to hold `to`. */
struct pgv_rebind {
	const char *name;
	const void *from;
	const void *to;
};

/*
 * For every relocation of `obj` that stores the address of a function
 * (GOT and PLT slots, absolute pointers), apply the first of the `n`
 * rebindings that matches it.  One pass over the relocation tables, the
 * slot's value compared before its name.  Returns how many slots were
 * changed, or -1 with errno when a slot could not be written.
 */
int pgv_elf_rebind(const struct pgv_elf *obj, const struct pgv_rebind *r,
		   size_t n);

/* A function `obj` imports: one of the slots its relocations bind to it,
 * and the symbol version it asks for (NULL: any). */
struct pgv_import {
	const void *const *slot;
	const char *version;
};

/* Find the import `name` of `obj`.  0, or -1 when no relocation of `obj`
 * names it. */
int pgv_elf_import(const struct pgv_elf *obj, const char *name,
		   struct pgv_import *out);

/* How many function-address relocations of `obj` name `name`. */
int pgv_elf_count_relocs(const struct pgv_elf *obj, const char *name);

/* Whether the page holding `addr` in `obj` is executable (a symbol table
 * in the text segment, as old linkers laid it out). */
int pgv_elf_is_exec(const struct pgv_elf *obj, const void *addr);

#endif
