/*
 * test_http_response.c: the bytes a client receives for each kind of
 * response: fixed headers, framing, the Connection decision and the Bearer
 * challenge on 401.
 */
#include "http/http_response.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

/* The whole output as a NUL-terminated string (caller frees). */
static char *drain_text(struct evbuffer *out)
{
	size_t length = evbuffer_get_length(out);
	char *text = malloc(length + 1);
	assert_non_null(text);
	evbuffer_remove(out, text, length);
	text[length] = '\0';
	return text;
}

static char *respond_text(int status, const char *type, const char *extra, const char *body,
                          int keep_alive)
{
	struct evbuffer *out = evbuffer_new();
	assert_non_null(out);
	http_respond(out, status, type, extra, body, body ? strlen(body) : 0, keep_alive);
	char *text = drain_text(out);
	evbuffer_free(out);
	return text;
}

static char *error_text(int status, const char *error, const char *description)
{
	struct evbuffer *out = evbuffer_new();
	assert_non_null(out);
	http_respond_error(out, status, error, description, "", 0);
	char *text = drain_text(out);
	evbuffer_free(out);
	return text;
}

static void test_plain_response(void **state)
{
	char *text = respond_text(200, "text/plain", "X-A: b\r\n", "ok", 1);
	assert_string_equal(text, "HTTP/1.1 200 OK\r\n"
	                          "Content-Type: text/plain\r\n"
	                          "Content-Length: 2\r\n"
	                          "Cache-Control: no-store\r\n"
	                          "X-Content-Type-Options: nosniff\r\n"
	                          "Connection: keep-alive\r\n"
	                          "X-A: b\r\n"
	                          "\r\n"
	                          "ok");
	free(text);
}

static void test_connection_close(void **state)
{
	char *text = respond_text(404, "text/plain", "", "", 0);
	assert_non_null(strstr(text, "HTTP/1.1 404 Not Found\r\n"));
	assert_non_null(strstr(text, "\r\nConnection: close\r\n"));
	assert_non_null(strstr(text, "\r\nContent-Length: 0\r\n"));
	free(text);
}

static void test_no_content_has_no_length(void **state)
{
	char *text = respond_text(204, "application/json", "", NULL, 1);
	assert_null(strstr(text, "\r\nContent-Length:"));
	assert_null(strstr(text, "\r\nContent-Type:"));
	assert_non_null(strstr(text, "HTTP/1.1 204 No Content\r\n"));
	free(text);
}

static void test_json_response(void **state)
{
	struct evbuffer *out = evbuffer_new();
	json_t *body = json_pack("{s:b}", "ok", 1);
	http_respond_json(out, 200, "", body, 1);
	json_decref(body);
	char *text = drain_text(out);
	evbuffer_free(out);
	assert_non_null(strstr(text, "Content-Type: application/json\r\n"));
	assert_non_null(strstr(text, "Content-Length: 11\r\n"));
	assert_non_null(strstr(text, "\r\n\r\n{\"ok\":true}"));
	free(text);
}

static void test_error_body(void **state)
{
	char *text = error_text(400, "invalid_request", "bad \"json\"");
	const char *body = strstr(text, "\r\n\r\n") + 4;
	json_error_t error;
	json_t *parsed = json_loads(body, 0, &error);
	assert_non_null(parsed);
	assert_string_equal(json_string_value(json_object_get(parsed, "error")), "invalid_request");
	assert_string_equal(json_string_value(json_object_get(parsed, "error_description")),
	                    "bad \"json\"");
	json_decref(parsed);
	assert_null(strstr(text, "WWW-Authenticate"));
	free(text);
}

static void test_401_with_bearer_error(void **state)
{
	char *text = error_text(401, "invalid_token", "token expired");
	assert_non_null(strstr(
	    text, "\r\nWWW-Authenticate: Bearer realm=\"icegate\", error=\"invalid_token\"\r\n"));
	free(text);
}

static void test_401_with_other_error(void **state)
{
	char *text = error_text(401, "invalid_credentials", "no");
	assert_non_null(strstr(text, "\r\nWWW-Authenticate: Bearer realm=\"icegate\"\r\n"));
	assert_null(strstr(text, "error=\""));
	free(text);
}

static void test_status_texts(void **state)
{
	assert_string_equal(http_status_text(431), "Request Header Fields Too Large");
	assert_string_equal(http_status_text(426), "Upgrade Required");
	assert_string_equal(http_status_text(799), "Unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_response),
	    cmocka_unit_test(test_connection_close),
	    cmocka_unit_test(test_no_content_has_no_length),
	    cmocka_unit_test(test_json_response),
	    cmocka_unit_test(test_error_body),
	    cmocka_unit_test(test_401_with_bearer_error),
	    cmocka_unit_test(test_401_with_other_error),
	    cmocka_unit_test(test_status_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
