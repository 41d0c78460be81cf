/*
 * test_http_request.c: the HTTP/1.1 request parser as a client meets it:
 * what it accepts, what it refuses with which status, and that a request in
 * pieces or two requests back to back are read exactly once each.
 */
#include "http/http_request.h"

#include <event2/buffer.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

struct fixture {
	struct evbuffer *input;
	struct http_request req;
	int status;
	const char *reason;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->input = evbuffer_new();
	assert_non_null(f->input);
	http_request_init(&f->req);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	http_request_reset(&f->req);
	evbuffer_free(f->input);
	free(f);
	return 0;
}

static enum http_parse_result feed(struct fixture *f, const void *data, size_t length)
{
	evbuffer_add(f->input, data, length);
	f->status = 0;
	f->reason = NULL;
	return http_request_parse(f->input, &f->req, &f->status, &f->reason);
}

static enum http_parse_result feed_text(struct fixture *f, const char *text)
{
	return feed(f, text, strlen(text));
}

static void expect_error_reason(void **state, const char *text, size_t length, int status,
                                const char *reason_part)
{
	struct fixture *f = *state;
	assert_int_equal(feed(f, text, length), HTTP_PARSE_ERROR);
	assert_int_equal(f->status, status);
	assert_non_null(strstr(f->reason, reason_part));
}

/* The reason reaches the client in the error body, so it must name the
 * actual fault. */
#define EXPECT_ERROR_REASON(text, status, part)                                                    \
	expect_error_reason(state, text, sizeof(text) - 1, status, part)

static void expect_error(void **state, const char *text, size_t length, int status)
{
	struct fixture *f = *state;
	assert_int_equal(feed(f, text, length), HTTP_PARSE_ERROR);
	assert_int_equal(f->status, status);
	assert_non_null(f->reason);
	assert_true(strlen(f->reason) > 0);
}

#define EXPECT_ERROR(text, status) expect_error(state, text, sizeof(text) - 1, status)

static void test_valid_get(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, "GET /api/v1/me?room=a&x=1 HTTP/1.1\r\n"
	                              "Host: example.com\r\n"
	                              "Authorization:   Bearer abc \t\r\n"
	                              "\r\n"),
	                 HTTP_PARSE_DONE);
	assert_string_equal(f->req.method, "GET");
	assert_string_equal(f->req.path, "/api/v1/me");
	assert_string_equal(f->req.query, "room=a&x=1");
	assert_int_equal(f->req.version_minor, 1);
	assert_int_equal(f->req.header_count, 2);
	assert_string_equal(f->req.headers[1].name, "Authorization");
	assert_string_equal(f->req.headers[1].value, "Bearer abc");
	assert_null(f->req.body);
	assert_int_equal(f->req.body_length, 0);
	assert_true(f->req.keep_alive);
	assert_int_equal(evbuffer_get_length(f->input), 0);
}

static void test_path_without_query(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, "GET /healthz HTTP/1.1\r\nHost: a\r\n\r\n"), HTTP_PARSE_DONE);
	assert_string_equal(f->req.path, "/healthz");
	assert_string_equal(f->req.query, "");
}

static void test_post_with_body(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, "POST /api/v1/auth/login HTTP/1.1\r\nHost: a\r\n"
	                              "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n"
	                              "{\"a\":1}"),
	                 HTTP_PARSE_DONE);
	assert_string_equal(f->req.method, "POST");
	assert_int_equal(f->req.body_length, 7);
	assert_string_equal(f->req.body, "{\"a\":1}");
	assert_int_equal(evbuffer_get_length(f->input), 0);
}

static void test_content_length_zero_has_no_body(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n"),
	                 HTTP_PARSE_DONE);
	assert_null(f->req.body);
	assert_int_equal(f->req.body_length, 0);
}

static void test_pipelined_requests(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
	                              "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
	                 HTTP_PARSE_DONE);
	assert_string_equal(f->req.path, "/a");
	assert_string_equal(f->req.body, "abc");
	assert_int_equal(feed(f, "", 0), HTTP_PARSE_DONE);
	assert_string_equal(f->req.path, "/b");
	assert_null(f->req.body);
	assert_int_equal(evbuffer_get_length(f->input), 0);
	assert_int_equal(feed(f, "", 0), HTTP_PARSE_INCOMPLETE);
}

static void test_incomplete_head_consumes_nothing(void **state)
{
	struct fixture *f = *state;
	const char *part = "GET / HTTP/1.1\r\nHost: a\r\n\r";
	assert_int_equal(feed_text(f, part), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(evbuffer_get_length(f->input), strlen(part));
	assert_int_equal(feed_text(f, "\n"), HTTP_PARSE_DONE);
	assert_string_equal(f->req.path, "/");
}

static void test_incomplete_body_consumes_nothing(void **state)
{
	struct fixture *f = *state;
	const char *part = "POST /a HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n12345";
	assert_int_equal(feed_text(f, part), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(evbuffer_get_length(f->input), strlen(part));
	assert_null(f->req.head);
	assert_int_equal(feed_text(f, "67890"), HTTP_PARSE_DONE);
	assert_string_equal(f->req.body, "1234567890");
}

/* A head of exactly n bytes (terminator excluded), padded in one header. */
static char *make_head(size_t n)
{
	const char *start = "GET / HTTP/1.1\r\nHost: a\r\nX-Pad: ";
	char *text = malloc(n + 5);
	assert_non_null(text);
	size_t used = strlen(start);
	memcpy(text, start, used);
	memset(text + used, 'p', n - used);
	memcpy(text + n, "\r\n\r\n", 5);
	return text;
}

static void test_head_at_limit_accepted(void **state)
{
	struct fixture *f = *state;
	char *text = make_head(HTTP_HEAD_MAX);
	assert_int_equal(feed_text(f, text), HTTP_PARSE_DONE);
	free(text);
}

static void test_head_over_limit_431(void **state)
{
	char *text = make_head(HTTP_HEAD_MAX + 1);
	expect_error(state, text, strlen(text), 431);
	free(text);
}

static void test_unterminated_head_over_limit_431(void **state)
{
	char *text = make_head(HTTP_HEAD_MAX + 100);
	/* Everything but the terminator: it can no longer fit. */
	expect_error(state, text, HTTP_HEAD_MAX + 4, 431);
	free(text);
}

static void test_unterminated_head_at_limit_waits(void **state)
{
	struct fixture *f = *state;
	char *text = make_head(HTTP_HEAD_MAX);
	/* The head plus three bytes of its terminator may still be fine. */
	assert_int_equal(feed(f, text, HTTP_HEAD_MAX + 3), HTTP_PARSE_INCOMPLETE);
	assert_int_equal(feed(f, "\n", 1), HTTP_PARSE_DONE);
	free(text);
}

static void add_headers(char *text, size_t size, int count)
{
	snprintf(text, size, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 1; i < count; i++)
		snprintf(text + strlen(text), size - strlen(text), "X-H%d: v\r\n", i);
	snprintf(text + strlen(text), size - strlen(text), "\r\n");
}

static void test_max_headers_accepted(void **state)
{
	struct fixture *f = *state;
	char text[4096];
	add_headers(text, sizeof(text), HTTP_MAX_HEADERS);
	assert_int_equal(feed_text(f, text), HTTP_PARSE_DONE);
	assert_int_equal(f->req.header_count, HTTP_MAX_HEADERS);
}

static void test_too_many_headers_431(void **state)
{
	char text[4096];
	add_headers(text, sizeof(text), HTTP_MAX_HEADERS + 1);
	expect_error(state, text, strlen(text), 431);
}

static void test_obs_fold_400(void **state)
{
	EXPECT_ERROR_REASON("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n two\r\n\r\n", 400, "folded");
}

static void test_obs_fold_tab_400(void **state)
{
	EXPECT_ERROR_REASON("GET / HTTP/1.1\r\nHost: a\r\nX-A: one\r\n\ttwo\r\n\r\n", 400,
	                    "folded");
}

static void test_bare_cr_400(void **state)
{
	EXPECT_ERROR_REASON("GET / HTTP/1.1\r\nHost: a\rX-A: b\r\n\r\n", 400, "bare CR");
}

static void test_bare_lf_400(void **state)
{
	EXPECT_ERROR_REASON("GET / HTTP/1.1\r\nHost: a\nX-B: c\r\n\r\n", 400, "bare LF");
}

static void test_nul_byte_400(void **state)
{
	EXPECT_ERROR_REASON("GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 400, "NUL");
}

static void test_control_char_in_value_400(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n", 400);
}

static void test_request_line_missing_version_400(void **state)
{
	EXPECT_ERROR("GET /\r\nHost: a\r\n\r\n", 400);
}

static void test_request_line_double_space_400(void **state)
{
	EXPECT_ERROR("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void test_request_line_trailing_space_400(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
}

static void test_request_line_absolute_target_400(void **state)
{
	EXPECT_ERROR("GET http://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void test_request_line_bad_method_400(void **state)
{
	EXPECT_ERROR("G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void test_request_line_control_in_target_400(void **state)
{
	EXPECT_ERROR("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n", 400);
}

static void test_request_line_bad_version_400(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400);
}

static void test_request_line_lowercase_protocol_400(void **state)
{
	EXPECT_ERROR("GET / http/1.1\r\nHost: a\r\n\r\n", 400);
}

static void test_empty_request_line_400(void **state)
{
	EXPECT_ERROR("\r\n\r\n", 400);
}

static void test_http2_505(void **state)
{
	EXPECT_ERROR("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
}

static void test_http12_505(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505);
}

static void test_space_before_colon_400(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
}

static void test_header_without_colon_400(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.1\r\nHost: a\r\nX-A\r\n\r\n", 400);
}

static void test_missing_host_400(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.1\r\n\r\n", 400);
}

static void test_two_hosts_400(void **state)
{
	EXPECT_ERROR("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400);
}

static void test_http10_without_host_accepted(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, "GET / HTTP/1.0\r\n\r\n"), HTTP_PARSE_DONE);
	assert_int_equal(f->req.version_minor, 0);
}

static void test_transfer_encoding_501(void **state)
{
	EXPECT_ERROR("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", 501);
}

static void test_transfer_encoding_with_length_400(void **state)
{
	EXPECT_ERROR("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	             "Transfer-Encoding: chunked\r\n\r\nabc",
	             400);
}

static void test_two_content_lengths_400(void **state)
{
	EXPECT_ERROR("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	             "Content-Length: 3\r\n\r\nabc",
	             400);
}

static void test_content_length_not_digits_400(void **state)
{
	EXPECT_ERROR("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3a\r\n\r\nabc", 400);
}

static void test_content_length_signed_400(void **state)
{
	EXPECT_ERROR("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc", 400);
}

static void test_content_length_empty_400(void **state)
{
	EXPECT_ERROR("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n", 400);
}

static void test_content_length_overflow_400(void **state)
{
	EXPECT_ERROR("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 18446744073709551616\r\n\r\n",
	             400);
}

static void test_body_over_limit_413(void **state)
{
	char text[128];
	snprintf(text, sizeof(text), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n",
	         HTTP_BODY_MAX + 1);
	/* Refused from the head alone, before the body is sent. */
	expect_error(state, text, strlen(text), 413);
}

static void test_body_at_limit_accepted(void **state)
{
	struct fixture *f = *state;
	char text[128];
	snprintf(text, sizeof(text), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n\r\n",
	         HTTP_BODY_MAX);
	char *body = calloc(1, HTTP_BODY_MAX);
	assert_non_null(body);
	evbuffer_add(f->input, text, strlen(text));
	assert_int_equal(feed(f, body, HTTP_BODY_MAX), HTTP_PARSE_DONE);
	assert_int_equal(f->req.body_length, HTTP_BODY_MAX);
	free(body);
}

static void expect_keep_alive(void **state, const char *text, int keep_alive)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, text), HTTP_PARSE_DONE);
	assert_int_equal(f->req.keep_alive, keep_alive);
}

static void test_keep_alive_http11_default(void **state)
{
	expect_keep_alive(state, "GET / HTTP/1.1\r\nHost: a\r\n\r\n", 1);
}

static void test_keep_alive_http11_close(void **state)
{
	expect_keep_alive(state, "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, CLOSE\r\n\r\n",
	                  0);
}

static void test_keep_alive_http10_default(void **state)
{
	expect_keep_alive(state, "GET / HTTP/1.0\r\n\r\n", 0);
}

static void test_keep_alive_http10_requested(void **state)
{
	expect_keep_alive(state, "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", 1);
}

static void test_header_lookup_ignores_case(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(feed_text(f, "GET / HTTP/1.1\r\nhOsT: a\r\nX-Thing: \t v 1 \r\n\r\n"),
	                 HTTP_PARSE_DONE);
	assert_string_equal(http_request_header(&f->req, "Host"), "a");
	assert_string_equal(http_request_header(&f->req, "x-thing"), "v 1");
	assert_null(http_request_header(&f->req, "X-Other"));
}

static void test_header_has_token(void **state)
{
	assert_true(http_header_has_token("keep-alive, Upgrade", "upgrade"));
	assert_true(http_header_has_token("Upgrade", "upgrade"));
	assert_true(http_header_has_token(" ,upgrade\t,", "UPGRADE"));
	assert_false(http_header_has_token("upgrades", "upgrade"));
	assert_false(http_header_has_token("keep-alive", "upgrade"));
	assert_false(http_header_has_token("", "upgrade"));
	assert_false(http_header_has_token(NULL, "upgrade"));
}

static void test_query_decodes(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("a=1&room=my+room%2Fx%41&b=2", "room", out, sizeof(out)),
	                 0);
	assert_string_equal(out, "my room/xA");
}

static void test_query_first_value_wins(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("r=1&r=2", "r", out, sizeof(out)), 0);
	assert_string_equal(out, "1");
}

static void test_query_empty_and_bare(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("a=&b", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "");
	assert_int_equal(http_query_param("a=&b", "b", out, sizeof(out)), 0);
	assert_string_equal(out, "");
}

static void test_query_encoded_key(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("access%5Ftoken=t", "access_token", out, sizeof(out)), 0);
	assert_string_equal(out, "t");
}

static void test_query_missing(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("a=1&bb=2", "b", out, sizeof(out)), 1);
	assert_int_equal(http_query_param("", "b", out, sizeof(out)), 1);
	assert_int_equal(http_query_param(NULL, "b", out, sizeof(out)), 1);
}

static void test_query_bad_escape(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("a=%G1", "a", out, sizeof(out)), -1);
}

static void test_query_truncated_escape(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("a=%4", "a", out, sizeof(out)), -1);
	assert_int_equal(http_query_param("a=x%", "a", out, sizeof(out)), -1);
}

static void test_query_nul_refused(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("a=x%00y", "a", out, sizeof(out)), -1);
}

static void test_query_bad_escape_elsewhere_ignored(void **state)
{
	char out[64];
	assert_int_equal(http_query_param("b=%ZZ&a=ok", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "ok");
}

static void test_query_too_long(void **state)
{
	char out[4];
	assert_int_equal(http_query_param("a=abcd", "a", out, sizeof(out)), -1);
	assert_int_equal(http_query_param("a=abc", "a", out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_valid_get),
	    T(test_path_without_query),
	    T(test_post_with_body),
	    T(test_content_length_zero_has_no_body),
	    T(test_pipelined_requests),
	    T(test_incomplete_head_consumes_nothing),
	    T(test_incomplete_body_consumes_nothing),
	    T(test_head_at_limit_accepted),
	    T(test_head_over_limit_431),
	    T(test_unterminated_head_over_limit_431),
	    T(test_unterminated_head_at_limit_waits),
	    T(test_max_headers_accepted),
	    T(test_too_many_headers_431),
	    T(test_obs_fold_400),
	    T(test_obs_fold_tab_400),
	    T(test_bare_cr_400),
	    T(test_bare_lf_400),
	    T(test_nul_byte_400),
	    T(test_control_char_in_value_400),
	    T(test_request_line_missing_version_400),
	    T(test_request_line_double_space_400),
	    T(test_request_line_trailing_space_400),
	    T(test_request_line_absolute_target_400),
	    T(test_request_line_bad_method_400),
	    T(test_request_line_control_in_target_400),
	    T(test_request_line_bad_version_400),
	    T(test_request_line_lowercase_protocol_400),
	    T(test_empty_request_line_400),
	    T(test_http2_505),
	    T(test_http12_505),
	    T(test_space_before_colon_400),
	    T(test_header_without_colon_400),
	    T(test_missing_host_400),
	    T(test_two_hosts_400),
	    T(test_http10_without_host_accepted),
	    T(test_transfer_encoding_501),
	    T(test_transfer_encoding_with_length_400),
	    T(test_two_content_lengths_400),
	    T(test_content_length_not_digits_400),
	    T(test_content_length_signed_400),
	    T(test_content_length_empty_400),
	    T(test_content_length_overflow_400),
	    T(test_body_over_limit_413),
	    T(test_body_at_limit_accepted),
	    T(test_keep_alive_http11_default),
	    T(test_keep_alive_http11_close),
	    T(test_keep_alive_http10_default),
	    T(test_keep_alive_http10_requested),
	    T(test_header_lookup_ignores_case),
	    T(test_header_has_token),
	    T(test_query_decodes),
	    T(test_query_first_value_wins),
	    T(test_query_empty_and_bare),
	    T(test_query_encoded_key),
	    T(test_query_missing),
	    T(test_query_bad_escape),
	    T(test_query_truncated_escape),
	    T(test_query_nul_refused),
	    T(test_query_bad_escape_elsewhere_ignored),
	    T(test_query_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
