/*
 * Who this process is, for audit records: the machine, the user and the
 * systemd unit, so that a report tells two python3 services apart.
 */
#ifndef PGV_PROCESS_H
#define PGV_PROCESS_H

#include <sys/types.h>

struct pgv_process {
	uid_t uid;
	char hostname[256];
	char user[64];	/* "" when the user database does not know the uid */
	char unit[256]; /* the systemd unit of the process's cgroup, or "" */
};

/* The facts of the calling process into `out`; looked up once per user
 * id (a daemon that drops privileges is seen as its new user). */
void pgv_process_get(struct pgv_process *out);

/* The unit of a cgroup path ("/system.slice/billing.service/x"): its
 * first component that is not a slice, "" when there is none. */
void pgv_process_unit_of(const char *path, char *out, size_t len);

#endif
