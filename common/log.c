/*
 * log.c: the stderr logger behind log.h. The minimum level and the format are
 * the one piece of process-wide state; both are atomics, so a reload may
 * change them while worker threads log. Each line is built in a local buffer
 * and written with one stdio call, which keeps concurrent lines whole.
 */
#include "common/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define MESSAGE_MAX 1024
/* Escaped, a message byte takes at most six ("\u001f"). */
#define LINE_MAX_BYTES (MESSAGE_MAX * 6 + 128)

static atomic_int minimum_level = LOG_LEVEL_INFO;
static atomic_int line_format = LOG_FORMAT_TEXT;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

void log_setup(enum log_level min_level)
{
	log_set_level(min_level);
}

void log_set_level(enum log_level min_level)
{
	atomic_store_explicit(&minimum_level, (int)min_level, memory_order_relaxed);
}

void log_set_format(enum log_format format)
{
	atomic_store_explicit(&line_format, (int)format, memory_order_relaxed);
}

int log_level_parse(const char *name, enum log_level *out)
{
	for (int i = 0; i < 4; i++) {
		if (strcmp(name, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

int log_format_parse(const char *name, enum log_format *out)
{
	if (strcmp(name, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (strcmp(name, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

/* The length of the well-formed UTF-8 sequence at text (RFC 3629: no
 * overlong forms, no surrogates, nothing above U+10FFFF), or 0 if the bytes
 * there do not start one. */
static size_t utf8_sequence_length(const unsigned char *text, size_t remaining)
{
	unsigned char lead = text[0];
	if (lead < 0x80)
		return 1;
	size_t length;
	unsigned char low = 0x80, high = 0xbf; /* range of the second byte */
	if (lead >= 0xc2 && lead <= 0xdf) {
		length = 2;
	} else if (lead >= 0xe0 && lead <= 0xef) {
		length = 3;
		low = lead == 0xe0 ? 0xa0 : 0x80;
		high = lead == 0xed ? 0x9f : 0xbf;
	} else if (lead >= 0xf0 && lead <= 0xf4) {
		length = 4;
		low = lead == 0xf0 ? 0x90 : 0x80;
		high = lead == 0xf4 ? 0x8f : 0xbf;
	} else {
		return 0;
	}
	if (remaining < length || text[1] < low || text[1] > high)
		return 0;
	for (size_t i = 2; i < length; i++)
		if ((text[i] & 0xc0) != 0x80)
			return 0;
	return length;
}

/* Appends message to out as the inside of a JSON string. out has room for
 * six bytes per message byte. Returns the bytes written. */
static size_t json_escape(const char *message, char *out)
{
	const unsigned char *text = (const unsigned char *)message;
	size_t remaining = strlen(message);
	char *start = out;
	while (remaining > 0) {
		unsigned char c = *text;
		const char *escape = NULL;
		switch (c) {
		case '"':
			escape = "\\\"";
			break;
		case '\\':
			escape = "\\\\";
			break;
		case '\n':
			escape = "\\n";
			break;
		case '\r':
			escape = "\\r";
			break;
		case '\t':
			escape = "\\t";
			break;
		}
		size_t length = 1;
		if (escape) {
			out += sprintf(out, "%s", escape);
		} else if (c < 0x20 || c == 0x7f) {
			out += sprintf(out, "\\u%04x", c);
		} else if ((length = utf8_sequence_length(text, remaining)) == 0) {
			out += sprintf(out, "\\ufffd"); /* one per byte that starts nothing */
			length = 1;
		} else {
			memcpy(out, text, length);
			out += length;
		}
		text += length;
		remaining -= length;
	}
	return (size_t)(out - start);
}

void log_write(enum log_level level, const char *fmt, ...)
{
	if ((int)level < atomic_load_explicit(&minimum_level, memory_order_relaxed))
		return;
	if ((unsigned)level > LOG_LEVEL_ERROR)
		level = LOG_LEVEL_ERROR;

	struct timeval now;
	gettimeofday(&now, NULL);
	struct tm utc;
	gmtime_r(&now.tv_sec, &utc);
	char stamp[32];
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &utc);
	long milliseconds = (long)(now.tv_usec / 1000);

	char message[MESSAGE_MAX];
	va_list args;
	va_start(args, fmt);
	vsnprintf(message, sizeof(message), fmt, args);
	va_end(args);

	char line[LINE_MAX_BYTES];
	size_t length;
	if (atomic_load_explicit(&line_format, memory_order_relaxed) == LOG_FORMAT_JSON) {
		length = (size_t)snprintf(line, sizeof(line),
		                          "{\"time\":\"%s.%03ldZ\",\"level\":\"%s\",\"msg\":\"",
		                          stamp, milliseconds, level_names[level]);
		length += json_escape(message, line + length);
		memcpy(line + length, "\"}\n", 3);
		length += 3;
	} else {
		length = (size_t)snprintf(line, sizeof(line), "%s.%03ldZ %s %s\n", stamp,
		                          milliseconds, level_names[level], message);
	}
	fwrite(line, 1, length, stderr);
}
