/* One logging module: a "pgverify:" prefix, a level and a target. */
#ifndef PGV_LOG_H
#define PGV_LOG_H

enum pgv_log_level {
	PGV_LOG_ERROR,
	PGV_LOG_WARNING,
	PGV_LOG_INFO,
	PGV_LOG_DEBUG
};

enum pgv_log_target { PGV_LOG_STDERR, PGV_LOG_SYSLOG };

/* "error", "warning", "info", "debug": the names of the levels, in order. */
#define PGV_LOG_LEVELS 4
extern const char *const pgv_log_level_names[PGV_LOG_LEVELS];

/* Parse a level's name; -1 for anything else. */
int pgv_log_level_parse(const char *name);

void pgv_log_configure(enum pgv_log_level level, enum pgv_log_target target);
int pgv_log_enabled(enum pgv_log_level level);

__attribute__((format(printf, 2, 3))) void pgv_log(enum pgv_log_level level,
						   const char *fmt, ...);

/* Debug messages cost one comparison when debug is off. */
#define pgv_debug(...)                                                         \
	do {                                                                   \
		if (pgv_log_enabled(PGV_LOG_DEBUG))                            \
			pgv_log(PGV_LOG_DEBUG, __VA_ARGS__);                   \
	} while (0)

#endif
