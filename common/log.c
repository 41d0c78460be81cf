/*
 * log.c: the stderr logger behind log.h. The minimum level is the one piece of
 * process-wide state, written once by log_setup before threads start and only
 * read afterwards.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum log_level minimum_level = LOG_LEVEL_INFO;

void log_setup(enum log_level min_level)
{
	minimum_level = min_level;
}

int log_level_parse(const char *name, enum log_level *out)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

void log_write(enum log_level level, const char *fmt, ...)
{
	static const char *const labels[] = {"debug", "info", "warn", "error"};
	if (level < minimum_level)
		return;

	struct timeval now;
	gettimeofday(&now, NULL);
	struct tm utc;
	gmtime_r(&now.tv_sec, &utc);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);

	char message[1024];
	va_list args;
	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);

	/* One fprintf per line keeps concurrent lines from interleaving. */
	fprintf(stderr, "%s.%03ldZ %s %s\n", stamp, (long)(now.tv_usec / 1000), labels[level],
	        message);
}
