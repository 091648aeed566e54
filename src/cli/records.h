/*
 * Reading audit records: the shim's JSON lines, or `journalctl -o json`
 * output whose MESSAGE carries them (audit = "syslog"), plain or gzip'd
 * (logrotate's compress), from a file or standard input.
 */
#ifndef PGV_CLI_RECORDS_H
#define PGV_CLI_RECORDS_H

#include <jansson.h>

struct records_count {
	long records; /* handed to the callback */
	long skipped; /* lines that are no audit record */
};

/*
 * Call `fn` with each record of `path` ("-": standard input), in order;
 * `fn` returns 0, or -1 to stop (out of memory).  0, or -1 with why in
 * `err` (the file cannot be read or is damaged, or `fn` stopped); the
 * records before the problem have been handed to `fn`.
 */
int records_read(const char *path, int (*fn)(const json_t *record, void *arg),
		 void *arg, struct records_count *count, char *err,
		 size_t errlen);

#endif
