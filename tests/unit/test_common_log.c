/*
 * test_common_log.c: the logger's lines as a reader sees them on stderr: the
 * text format, JSON lines that parse whatever the message holds (quotes,
 * backslashes, line breaks, control bytes, invalid UTF-8), the level filter,
 * and level changes while other threads log.
 */
#include "common/log.h"

#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

/* stderr goes to a temporary file between capture_start and capture_end. */
struct capture {
	FILE *file;
	int saved_stderr;
};

static void capture_start(struct capture *capture)
{
	fflush(stderr);
	capture->file = tmpfile();
	assert_non_null(capture->file);
	capture->saved_stderr = dup(STDERR_FILENO);
	assert_true(capture->saved_stderr >= 0);
	assert_int_equal(dup2(fileno(capture->file), STDERR_FILENO), STDERR_FILENO);
}

/* Returns what was written (caller frees) and restores stderr. */
static char *capture_end(struct capture *capture)
{
	fflush(stderr);
	assert_int_equal(dup2(capture->saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(capture->saved_stderr);
	long size = ftell(capture->file);
	assert_true(size >= 0);
	char *text = calloc(1, (size_t)size + 1);
	assert_non_null(text);
	rewind(capture->file);
	assert_int_equal(fread(text, 1, (size_t)size, capture->file), (size_t)size);
	fclose(capture->file);
	return text;
}

static int reset(void **state)
{
	log_setup(LOG_LEVEL_DEBUG);
	log_set_format(LOG_FORMAT_TEXT);
	return 0;
}

/* Parses one JSON log line (with its newline) and returns its msg field
 * (caller frees), checking time and level on the way. */
static char *json_line_message(const char *line, const char *level)
{
	size_t length = strlen(line);
	assert_true(length > 0 && line[length - 1] == '\n');
	assert_null(memchr(line, '\n', length - 1)); /* one line per event */
	json_error_t error;
	json_t *object = json_loadb(line, length, 0, &error);
	if (!object)
		fail_msg("not JSON (%s): %s", error.text, line);
	assert_int_equal(json_object_size(object), 3);
	const char *time = json_string_value(json_object_get(object, "time"));
	assert_non_null(time);
	/* 2026-11-22T05:33:59.123Z */
	assert_int_equal(strlen(time), 24);
	assert_true(time[4] == '-' && time[10] == 'T' && time[19] == '.' && time[23] == 'Z');
	assert_string_equal(json_string_value(json_object_get(object, "level")), level);
	char *message = strdup(json_string_value(json_object_get(object, "msg")));
	json_decref(object);
	return message;
}

static void test_text_lines(void **state)
{
	struct capture capture;
	capture_start(&capture);
	log_info("listening on %s:%d", "127.0.0.1", 8080);
	char *text = capture_end(&capture);
	/* 2026-11-22T05:33:59.123Z info listening on 127.0.0.1:8080 */
	assert_int_equal(strlen(text), 24 + strlen(" info listening on 127.0.0.1:8080\n"));
	assert_true(text[10] == 'T' && text[23] == 'Z');
	assert_string_equal(text + 24, " info listening on 127.0.0.1:8080\n");
	free(text);
}

static void test_json_escaping(void **state)
{
	struct {
		const char *message;
		const char *decoded; /* what a JSON reader gets back */
	} cases[] = {
	    {"plain", "plain"},
	    {"say \"hi\"", "say \"hi\""},
	    {"back\\slash", "back\\slash"},
	    {"two\nlines\r\n", "two\nlines\r\n"},
	    {"tab\there", "tab\there"},
	    {"bell\x07 esc\x1b del\x7f", "bell\x07 esc\x1b del\x7f"},
	    {"caf\xc3\xa9 \xf0\x9f\x98\x80", "caf\xc3\xa9 \xf0\x9f\x98\x80"},
	    {"bad \xff byte", "bad \xef\xbf\xbd byte"},
	    {"overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd"},
	    {"surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    {"cut \xe2\x82", "cut \xef\xbf\xbd\xef\xbf\xbd"},
	    {"above \xf4\x90\x80\x80", "above \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	};
	log_set_format(LOG_FORMAT_JSON);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct capture capture;
		capture_start(&capture);
		log_warn("%s", cases[i].message);
		char *line = capture_end(&capture);
		char *message = json_line_message(line, "warn");
		assert_string_equal(message, cases[i].decoded);
		/* Control bytes never appear raw, so no terminal or parser sees them. */
		for (const char *c = line; *c && c[1]; c++)
			assert_true((unsigned char)*c >= 0x20 && *c != 0x7f);
		free(message);
		free(line);
	}
}

static void test_json_long_message_is_cut_and_stays_valid(void **state)
{
	/* 1023 bytes fit; a two-byte character straddling the cut must not
	 * leave half a sequence behind. */
	char message[1100];
	memset(message, 'a', 1022);
	memcpy(message + 1022, "\xc3\xa9\xc3\xa9", 4);
	message[1026] = '\0';
	log_set_format(LOG_FORMAT_JSON);
	struct capture capture;
	capture_start(&capture);
	log_error("%s", message);
	char *line = capture_end(&capture);
	char *decoded = json_line_message(line, "error");
	assert_int_equal(strncmp(decoded, message, 1022), 0);
	assert_string_equal(decoded + 1022, "\xef\xbf\xbd");
	free(decoded);
	free(line);
}

static void test_level_filter(void **state)
{
	enum log_level level;
	assert_int_equal(log_level_parse("warn", &level), 0);
	assert_int_equal(level, LOG_LEVEL_WARN);
	assert_int_equal(log_level_parse("verbose", &level), -1);
	enum log_format format;
	assert_int_equal(log_format_parse("json", &format), 0);
	assert_int_equal(format, LOG_FORMAT_JSON);
	assert_int_equal(log_format_parse("text", &format), 0);
	assert_int_equal(format, LOG_FORMAT_TEXT);
	assert_int_equal(log_format_parse("xml", &format), -1);

	log_setup(LOG_LEVEL_WARN);
	struct capture capture;
	capture_start(&capture);
	log_debug("hidden debug");
	log_info("hidden info");
	log_warn("shown warn");
	log_error("shown error");
	log_set_level(LOG_LEVEL_DEBUG);
	log_debug("shown debug");
	log_set_level(LOG_LEVEL_ERROR);
	log_warn("hidden warn");
	char *text = capture_end(&capture);
	assert_null(strstr(text, "hidden"));
	assert_non_null(strstr(text, " warn shown warn\n"));
	assert_non_null(strstr(text, " error shown error\n"));
	assert_non_null(strstr(text, " debug shown debug\n"));
	free(text);
}

#define LOGGING_THREADS  4
#define LINES_PER_THREAD 2000

static void *log_many(void *arg)
{
	for (int i = 0; i < LINES_PER_THREAD; i++)
		log_error("thread %ld line %d with \"quotes\"", (long)(intptr_t)arg, i);
	return NULL;
}

static void test_set_level_while_threads_log(void **state)
{
	log_set_format(LOG_FORMAT_JSON);
	struct capture capture;
	capture_start(&capture);
	pthread_t threads[LOGGING_THREADS];
	for (intptr_t i = 0; i < LOGGING_THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, log_many, (void *)i), 0);
	for (int i = 0; i < 1000; i++) {
		log_set_level(i % 2 ? LOG_LEVEL_INFO : LOG_LEVEL_DEBUG);
		log_set_format(LOG_FORMAT_JSON);
	}
	for (int i = 0; i < LOGGING_THREADS; i++)
		pthread_join(threads[i], NULL);
	char *text = capture_end(&capture);
	/* Error lines pass either level: every one arrives, whole. */
	int lines = 0;
	for (char *line = text; *line; lines++) {
		char *end = strchr(line, '\n');
		assert_non_null(end);
		char saved = end[1];
		end[1] = '\0';
		char *message = json_line_message(line, "error");
		assert_int_equal(strncmp(message, "thread ", 7), 0);
		free(message);
		end[1] = saved;
		line = end + 1;
	}
	assert_int_equal(lines, LOGGING_THREADS * LINES_PER_THREAD);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_text_lines, reset),
	    cmocka_unit_test_setup(test_json_escaping, reset),
	    cmocka_unit_test_setup(test_json_long_message_is_cut_and_stays_valid, reset),
	    cmocka_unit_test_setup(test_level_filter, reset),
	    cmocka_unit_test_setup(test_set_level_while_threads_log, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
