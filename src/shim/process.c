/*
 * Who this process is.  The user database may be NSS (LDAP, or a module
 * that itself connects to PostgreSQL through libpq), so the lookup runs
 * without any lock held and is never entered twice by one thread: a
 * record written from inside the lookup says only what is already known.
 */
#include "process.h"
#include "forklock.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* Written and read under `lock`; `known` says `cache` holds a lookup for
 * cache.uid. */
static struct pgv_fork_lock lock = PGV_FORK_LOCK_INITIALIZER;
static struct pgv_process cache;
static int known;
static __thread int in_lookup;

void pgv_process_unit_of(const char *path, char *out, size_t len)
{
	size_t n, slice = sizeof(".slice") - 1;

	*out = '\0';
	for (const char *p = path; *p; p += n) {
		p += strspn(p, "/");
		n = strcspn(p, "/\n");
		if (n == 0)
			break;
		if (n > slice && memcmp(p + n - slice, ".slice", slice) == 0)
			continue;
		/* A unit name has a type suffix; a bare directory
		 * (a container's cgroup) is none. */
		if (memchr(p, '.', n))
			snprintf(out, len, "%.*s", (int)n, p);
		return;
	}
}

/* The unified hierarchy's path, else (hybrid hosts) systemd's own. */
static void read_unit(char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[1024], v1[1024] = "";

	*out = '\0';
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3) == 0)
			pgv_process_unit_of(line + 3, out, len);
		else if (strstr(line, ":name=systemd:"))
			snprintf(v1, sizeof(v1), "%s",
				 strstr(line, ":name=systemd:") + 14);
	}
	fclose(f);
	if (!*out)
		pgv_process_unit_of(v1, out, len);
}

static void look_up(struct pgv_process *p)
{
	struct passwd pw, *found = NULL;
	char buf[4096];

	memset(p, 0, sizeof(*p));
	p->uid = getuid();
	if (gethostname(p->hostname, sizeof(p->hostname) - 1) < 0)
		p->hostname[0] = '\0';
	if (getpwuid_r(p->uid, &pw, buf, sizeof(buf), &found) == 0 && found)
		snprintf(p->user, sizeof(p->user), "%s", found->pw_name);
	read_unit(p->unit, sizeof(p->unit));
}

void pgv_process_get(struct pgv_process *out)
{
	int fresh;

	pgv_fork_lock(&lock);
	fresh = known && cache.uid == getuid();
	*out = cache;
	pgv_fork_unlock(&lock);
	if (fresh || in_lookup)
		return;
	in_lookup = 1;
	look_up(out);
	in_lookup = 0;
	pgv_fork_lock(&lock);
	cache = *out;
	known = 1;
	pgv_fork_unlock(&lock);
}
