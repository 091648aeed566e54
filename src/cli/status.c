/*
 * pgverify status PID: whether pgverify is loaded in a running process,
 * which libpq files it holds, and whether each is bound.  Read from
 * outside: /proc/PID/maps for the files, each file's own symbol table for
 * what it is, and /proc/PID/mem for whether the process's copy of that
 * table names pgverify's hooks (bind.c rewrites PQconnectdb's entry), the
 * same mark the library itself goes by (copies.c).
 */
#include "cli.h"
#include "json.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage[] = "pgverify status [--json] [PID|UNIT]";

/* One libpq file of the process, as its file says. */
struct libpq_file {
	char path[4096];
	unsigned long start;	/* its mapping at file offset 0 */
	ElfW(Addr) first_vaddr; /* of its first PT_LOAD */
	ElfW(Addr) dynsym;	/* address of .dynsym in the file */
	size_t index;		/* PQconnectdb's entry */
	ElfW(Addr) value;	/* its st_value in the file */
};

/* A section's table within the file, or NULL. */
static const void *in_file(const char *map, size_t size, ElfW(Off) off,
			   size_t len)
{
	return off <= size && len <= size - off ? map + off : NULL;
}

/* Fill `f` if the ELF file `map` defines libpq's PQconnectdb and
 * PQconninfo in its dynamic symbol table; 0 then, else -1. */
static int read_libpq(const char *map, size_t size, struct libpq_file *f)
{
	const ElfW(Ehdr) *eh = in_file(map, size, 0, sizeof(*eh));
	const ElfW(Shdr) * sh;
	const ElfW(Phdr) * ph;
	int found = 0;

	if (!eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] !=
		(sizeof(void *) == 8 ? ELFCLASS64 : ELFCLASS32) ||
	    !(sh = in_file(map, size, eh->e_shoff,
			   (size_t)eh->e_shnum * sizeof(*sh))) ||
	    !(ph = in_file(map, size, eh->e_phoff,
			   (size_t)eh->e_phnum * sizeof(*ph))))
		return -1;
	f->first_vaddr = 0;
	for (size_t i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD) {
			f->first_vaddr = ph[i].p_vaddr & ~(ElfW(Addr))4095;
			break;
		}
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const ElfW(Sym) * syms;
		const char *str;
		size_t n;
		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum)
			continue;
		n = sh[i].sh_size / sizeof(*syms);
		syms = in_file(map, size, sh[i].sh_offset, n * sizeof(*syms));
		str = in_file(map, size, sh[sh[i].sh_link].sh_offset,
			      sh[sh[i].sh_link].sh_size);
		if (!syms || !str || !sh[sh[i].sh_link].sh_size ||
		    str[sh[sh[i].sh_link].sh_size - 1] != '\0')
			return -1;
		for (size_t k = 0; k < n; k++) {
			const char *name =
			    syms[k].st_name < sh[sh[i].sh_link].sh_size
				? str + syms[k].st_name
				: "";
			if (syms[k].st_shndx == SHN_UNDEF)
				continue;
			if (strcmp(name, "PQconninfo") == 0)
				found |= 1;
			if (strcmp(name, "PQconnectdb") == 0) {
				found |= 2;
				f->index = k;
				f->value = syms[k].st_value;
				f->dynsym = sh[i].sh_addr;
			}
		}
	}
	return found == 3 ? 0 : -1;
}

static int libpq_of_file(const char *path, struct libpq_file *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	void *map = MAP_FAILED;
	int rc = -1;

	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			   0);
	if (map != MAP_FAILED) {
		rc = read_libpq(map, (size_t)st.st_size, f);
		munmap(map, (size_t)st.st_size);
	}
	if (fd >= 0)
		close(fd);
	return rc;
}

/* 1: the process's PQconnectdb entry names another address (bound);
 * 0: it is the file's (not bound); -1: the memory cannot be read. */
static int is_bound(int mem, const struct libpq_file *f)
{
	ElfW(Addr) now;
	off_t at = (off_t)(f->start - f->first_vaddr + f->dynsym +
			   f->index * sizeof(ElfW(Sym)) +
			   offsetof(ElfW(Sym), st_value));

	if (mem < 0 || pread(mem, &now, sizeof(now), at) != sizeof(now))
		return -1;
	return now != f->value;
}

struct seen {
	int pgverify, engine, copies, unbound, unknown;
};

static const char *basename_of(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static void report_copy(struct json *j, const struct libpq_file *f, int bound,
			struct seen *s)
{
	s->copies++;
	s->unbound += bound == 0;
	s->unknown += bound < 0;
	if (j) {
		json_open(j, NULL, '{');
		json_str(j, "path", f->path);
		if (bound < 0)
			json_str(j, "bound", NULL);
		else
			json_bool(j, "bound", bound);
		json_close(j, '}');
		return;
	}
	printf("libpq %s: %s\n", f->path,
	       bound > 0    ? "bound"
	       : bound == 0 ? "NOT bound"
			    : "bound: unknown (cannot read the process's "
			      "memory: run as its user or root)");
}

/* Each file mapped at offset 0 and executable, once. */
static void walk_maps(FILE *maps, int mem, struct json *j, struct seen *s)
{
	char line[4352], last[4096] = "";

	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, offset;
		char perms[8];
		const char *path = strchr(line, '/');
		struct libpq_file f;
		if (!path ||
		    sscanf(line, "%lx-%*x %7s %lx", &start, perms, &offset) !=
			3 ||
		    offset != 0)
			continue;
		line[strcspn(line, "\n")] = '\0';
		if (strcmp(path, last) == 0)
			continue;
		snprintf(last, sizeof(last), "%s", path);
		s->pgverify |=
		    strncmp(basename_of(path), "libpgverify.so", 14) == 0;
		s->engine |=
		    strcmp(basename_of(path), "pgverify-engine.so") == 0;
		if (libpq_of_file(path, &f) < 0)
			continue;
		snprintf(f.path, sizeof(f.path), "%s", path);
		f.start = start;
		report_copy(j, &f, is_bound(mem, &f), s);
	}
}

/* The main process of systemd unit `unit`, or 0 (not running, or no
 * systemd), as `systemctl show` says. */
static long main_pid(const char *unit)
{
	char cmd[512], line[64] = "";
	FILE *p;

	if (strpbrk(unit, "'\\\"$`;&|<> \t\n") ||
	    (size_t)snprintf(cmd, sizeof(cmd),
			     "systemctl show -p MainPID --value -- '%s' "
			     "2>/dev/null",
			     unit) >= sizeof(cmd) ||
	    !(p = popen(cmd, "re")))
		return 0;
	if (!fgets(line, sizeof(line), p))
		line[0] = '\0';
	pclose(p);
	return strtol(line, NULL, 10);
}

/* pgverify status: the host. */
static int host_status(const struct cli_opts *o)
{
	char line[4096], err[1024];
	int preload = cli_preload_line(line, sizeof(line));
	pgverify_config *cfg = cli_config(o, err, sizeof(err));
	pgverify_config_view v;

	printf("host-wide (/etc/ld.so.preload): %s\n",
	       preload ? line : "not preloaded");
	if (!cfg) {
		printf("configuration: ERROR: %s\n", err);
		return EXIT_USAGE;
	}
	pgverify_config_describe(cfg, &v);
	printf("configuration: %s, lock %s, mode %s\n",
	       v.path ? v.path : "built-in defaults", v.lock ? "true" : "false",
	       v.mode);
	if (preload && !v.lock)
		printf(
		    "  recommended: lock = true (pgverify check says why)\n");
	printf("library: %s (pgverify check: its engine and the bundles)\n",
	       cli_library_path());
	pgverify_config_free(cfg);
	return EXIT_OK;
}

int cmd_status(int argc, char **argv)
{
	struct cli_opts o;
	int status,
	    first = cli_options(argc, argv, usage, CLI_JSON, &o, &status);
	char path[64], *end;
	struct json json, *j = NULL;
	struct seen s = {0};
	FILE *maps;
	long pid;
	int mem;

	if (first < 0)
		return status;
	if (argc == first && !o.json)
		return host_status(&o);
	if (argc - first != 1) {
		fprintf(stderr, "usage: %s\n", usage);
		return EXIT_USAGE;
	}
	pid = strtol(argv[first], &end, 10);
	if (*end || pid <= 0) {
		/* A unit: its main process. */
		const char *enabled = cli_dropin_enabled(argv[first])
					  ? "; pgverify enable preloads it"
					  : "";
		if (!(pid = main_pid(argv[first]))) {
			if (o.json)
				printf("{\"unit\":null,\"running\":false}\n");
			else
				printf("%s: not running (no main process)%s\n",
				       argv[first], enabled);
			return EXIT_OK;
		}
		if (!o.json)
			printf("%s: main process %ld%s\n", argv[first], pid,
			       enabled);
	}
	snprintf(path, sizeof(path), "/proc/%ld/maps", pid);
	if (!(maps = fopen(path, "re"))) {
		fprintf(stderr, "pgverify status: cannot read %s: %m\n", path);
		return EXIT_USAGE;
	}
	snprintf(path, sizeof(path), "/proc/%ld/mem", pid);
	mem = open(path, O_RDONLY | O_CLOEXEC);
	if (o.json) {
		j = &json;
		json_init(j, stdout);
		json_open(j, NULL, '{');
		json_int(j, "pid", pid);
		json_open(j, "libpq", '[');
	}
	walk_maps(maps, mem, j, &s);
	fclose(maps);
	if (mem >= 0)
		close(mem);
	if (j) {
		json_close(j, ']');
		json_bool(j, "loaded", s.pgverify);
		json_bool(j, "engine_loaded", s.engine);
		json_close(j, '}');
		json_end(j);
	} else {
		printf("pgverify: %s%s\n", s.pgverify ? "loaded" : "NOT loaded",
		       s.pgverify && s.engine ? ", with its engine"
		       : s.pgverify && s.copies
			   ? ", WITHOUT its engine: every connection is refused"
			   : "");
		if (!s.copies)
			printf("libpq: none loaded\n");
	}
	return s.copies && (!s.pgverify || s.unbound) ? EXIT_REFUSED : EXIT_OK;
}
