/*
 * log.h: one line per event on stderr, for the daemon and the CLI alike.
 *
 * A line carries a UTC timestamp, a level and a message. The format is chosen
 * once at start (log_setup) and never changes afterwards, so logging needs no
 * locking beyond what stdio already does. Callers must never pass secrets,
 * passwords, tokens or full credentials: log a subject or a token id instead.
 */
#ifndef ICEGATE_COMMON_LOG_H
#define ICEGATE_COMMON_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

/* Lines below min_level are dropped. Call once, before any thread starts. */
void log_setup(enum log_level min_level);
/* Parses "debug", "info", "warn" or "error"; returns -1 on anything else. */
int log_level_parse(const char *name, enum log_level *out);

void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
