/*
 * Logging.  Each message is formatted into one buffer and written with one
 * write(2), so lines from several threads never interleave.
 */
#include "log.h"
#include "mask.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

/* Written by pgv_log_configure(), once, from the shim's init under its
 * pthread_once (or the command's main thread) and read by every pgv_log()
 * on any thread: relaxed atomics, as only the value matters, not what was
 * written before it. */
static int log_level = PGV_LOG_WARNING;
static int log_target = PGV_LOG_STDERR;

const char *const pgv_log_level_names[PGV_LOG_LEVELS] = {"error", "warning",
							 "info", "debug"};

int pgv_log_level_parse(const char *name)
{
	for (int i = 0; i < PGV_LOG_LEVELS; i++)
		if (strcmp(name, pgv_log_level_names[i]) == 0)
			return i;
	return -1;
}

void pgv_log_configure(enum pgv_log_level level, enum pgv_log_target target)
{
	__atomic_store_n(&log_level, (int)level, __ATOMIC_RELAXED);
	__atomic_store_n(&log_target, (int)target, __ATOMIC_RELAXED);
}

int pgv_log_enabled(enum pgv_log_level level)
{
	return (int)level <= __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

static int syslog_priority(enum pgv_log_level level)
{
	static const int prio[] = {LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG};
	return prio[level];
}

void pgv_log(enum pgv_log_level level, const char *fmt, ...)
{
	char line[2048];
	va_list ap;
	int n;

	if (!pgv_log_enabled(level))
		return;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n] = '\0';
	/* Whatever a message quotes, no password leaves in it, and no value
	 * in it starts a line of its own. */
	pgv_mask_secrets(line, sizeof(line) - 1);
	pgv_escape_controls(line, sizeof(line) - 1);
	n = (int)strlen(line);
	if (__atomic_load_n(&log_target, __ATOMIC_RELAXED) == PGV_LOG_SYSLOG) {
		line[n] = '\0';
		syslog(LOG_USER | syslog_priority(level), "pgverify: %s", line);
		return;
	}
	char out[sizeof(line) + 16];
	int len = snprintf(out, sizeof(out), "pgverify: %.*s\n", n, line);
	if (write(STDERR_FILENO, out, (size_t)len) < 0)
		return; /* nowhere left to report it */
}
