/*
 * test_http_utf8.c: the UTF-8 rules WebSocket text must follow (RFC 3629),
 * checked on the validator directly so each rejection is pinned to our code
 * and not to wslay's own check.
 */
#include "http/utf8.h"

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#define VALID(text)   assert_true(utf8_is_valid(text, sizeof(text) - 1))
#define INVALID(text) assert_false(utf8_is_valid(text, sizeof(text) - 1))

static void test_valid_text(void **state)
{
	VALID("");
	VALID("plain ascii");
	VALID("\x00");
	VALID("caf\xc3\xa9");
	VALID("\xe2\x82\xac");     /* U+20AC */
	VALID("\xf0\x9f\x98\x80"); /* U+1F600 */
	VALID("\xef\xbf\xbf");     /* U+FFFF */
	VALID("\xf4\x8f\xbf\xbf"); /* U+10FFFF */
	VALID("\xed\x9f\xbf");     /* U+D7FF, just below the surrogates */
}

static void test_overlong_forms(void **state)
{
	INVALID("\xc0\xaf");
	INVALID("\xc1\xbf");
	INVALID("\xe0\x80\xaf");
	INVALID("\xe0\x9f\xbf");
	INVALID("\xf0\x8f\xbf\xbf");
}

static void test_surrogates(void **state)
{
	INVALID("\xed\xa0\x80");
	INVALID("\xed\xbf\xbf");
}

static void test_beyond_unicode(void **state)
{
	INVALID("\xf4\x90\x80\x80");
	INVALID("\xf5\x80\x80\x80");
	INVALID("\xff");
}

static void test_broken_sequences(void **state)
{
	INVALID("\x80");
	INVALID("a\xe2\x82");
	INVALID("\xe2\x28\xa1");
	INVALID("\xf0\x9f\x98");
}

static void test_prefix_keeps_characters_whole(void **state)
{
	const char *text = "a\xe2\x82\xac"; /* 4 bytes */
	assert_int_equal(utf8_prefix_length(text, 4, 10), 4);
	assert_int_equal(utf8_prefix_length(text, 4, 4), 4);
	assert_int_equal(utf8_prefix_length(text, 4, 3), 1);
	assert_int_equal(utf8_prefix_length(text, 4, 2), 1);
	assert_int_equal(utf8_prefix_length(text, 4, 1), 1);
	assert_int_equal(utf8_prefix_length(text, 4, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid_text),
	    cmocka_unit_test(test_overlong_forms),
	    cmocka_unit_test(test_surrogates),
	    cmocka_unit_test(test_beyond_unicode),
	    cmocka_unit_test(test_broken_sequences),
	    cmocka_unit_test(test_prefix_keeps_characters_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
