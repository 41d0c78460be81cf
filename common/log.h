/*
 * log.h: one line per event on stderr, for the daemon and the CLI alike.
 *
 * A line carries a UTC timestamp, a level and a message, as text
 * ("2026-11-22T05:33:59.123Z info message") or, with LOG_FORMAT_JSON, as one
 * JSON object ({"time":...,"level":...,"msg":...}) with the message escaped
 * and any invalid UTF-8 replaced by U+FFFD, so every line parses. The level
 * and format are the logger's only state, process-wide and atomic: they may
 * change (a configuration reload) while other threads log. Callers must never
 * pass secrets, passwords, tokens or full credentials: log a subject or a
 * token id instead.
 */
#ifndef ICEGATE_COMMON_LOG_H
#define ICEGATE_COMMON_LOG_H

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* Lines below min_level are dropped. Call once at start. */
void log_setup(enum log_level min_level);
/* Changes the minimum level; safe while other threads log. */
void log_set_level(enum log_level min_level);
/* Changes the line format; safe while other threads log. Text by default. */
void log_set_format(enum log_format format);
/* Parses "debug", "info", "warn" or "error"; returns -1 on anything else. */
int log_level_parse(const char *name, enum log_level *out);
/* Parses "text" or "json"; returns -1 on anything else. */
int log_format_parse(const char *name, enum log_format *out);

/* Messages longer than 1023 bytes are cut. */
void log_write(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_debug(...) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__)
#define log_info(...)  log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...)  log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)

#endif
