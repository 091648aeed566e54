/*
 * Audit records as the shim writes them (audit = FILE or "syslog"), read
 * back by the commands that summarise them (records.c).
 */
#ifndef PGV_CLI_RECORDS_H
#define PGV_CLI_RECORDS_H

#include <jansson.h>
#include <stddef.h>

/*
 * Called once per record, in the order of the file.  `record` is a JSON
 * object with at least "decision" (a string) and "pid" (an integer); it is
 * borrowed: json_incref() it to keep it past the call.  Return 0 to go on;
 * anything else stops the reading and is what records_read() returns.
 */
typedef int (*records_fn)(json_t *record, void *arg);

/*
 * Read the audit records of `path` ("-": standard input), one JSON object
 * per line, compressed with gzip or not (zlib reads both, whatever the
 * name), or `journalctl -o json` output, whose entries carry a record in
 * MESSAGE after "pgverify-audit: " (other programs' entries are passed
 * over).  Lines that are neither (not JSON, not a record) are counted in
 * `*skipped` when it is not NULL.
 *
 * Returns 0 at the end of the file, the callback's value if it stopped
 * the reading, or -1 with `err` set when the file cannot be opened or read.
 */
int records_read(const char *path, records_fn each, void *arg, long *skipped,
		 char *err, size_t errlen);

#endif
