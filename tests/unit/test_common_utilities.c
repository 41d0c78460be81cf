/*
 * test_common_utilities.c: the strict Base64 codecs (JWT segments go through
 * them), the hash map under growth and removal, and the token bucket's rate
 * and burst.
 */
#include "common/base64.h"
#include "common/hashmap.h"
#include "common/random.h"
#include "common/token_bucket.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

static void test_base64_round_trips(void **state)
{
	const char *inputs[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	const char *standard[] = {"", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy"};
	const char *url[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	for (size_t i = 0; i < 7; i++) {
		char out[32];
		unsigned char back[32];
		size_t n = strlen(inputs[i]);
		b64_encode((const unsigned char *)inputs[i], n, out, 0);
		assert_string_equal(out, standard[i]);
		assert_int_equal(b64_encoded_length(n, 0), strlen(standard[i]));
		b64_encode((const unsigned char *)inputs[i], n, out, 1);
		assert_string_equal(out, url[i]);
		assert_int_equal(b64_encoded_length(n, 1), strlen(url[i]));
		assert_int_equal(b64_decode(url[i], strlen(url[i]), back, 1), (long)n);
		assert_memory_equal(back, inputs[i], n);
		assert_int_equal(b64_decode(standard[i], strlen(standard[i]), back, 0), (long)n);
	}
}

static void test_base64_rejects_malformed(void **state)
{
	unsigned char out[32];
	const char *bad_url[] = {"Zg==", "Z", "Zm9v!", "Zm 9v", "Zm+v", "Zm/v", "Zh"};
	for (size_t i = 0; i < sizeof(bad_url) / sizeof(bad_url[0]); i++)
		assert_int_equal(b64_decode(bad_url[i], strlen(bad_url[i]), out, 1), -1);
	const char *bad_standard[] = {"Zg=", "Zm9", "Zm-v", "Zm_v", "Zh==", "=Zg="};
	for (size_t i = 0; i < sizeof(bad_standard) / sizeof(bad_standard[0]); i++)
		assert_int_equal(b64_decode(bad_standard[i], strlen(bad_standard[i]), out, 0), -1);
}

static void test_hashmap_put_get_remove(void **state)
{
	struct hmap map;
	hmap_init(&map);
	static int values[5000];
	char key[32];
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		assert_int_equal(hmap_put(&map, key, &values[i]), 0);
	}
	assert_int_equal(map.count, 5000);
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		assert_ptr_equal(hmap_get(&map, key), &values[i]);
	}
	assert_null(hmap_get(&map, "key-5000"));
	assert_ptr_equal(hmap_remove(&map, "key-42"), &values[42]);
	assert_null(hmap_get(&map, "key-42"));
	assert_null(hmap_remove(&map, "key-42"));
	assert_int_equal(hmap_put(&map, "key-1", &values[2]), 0); /* replace */
	assert_ptr_equal(hmap_get(&map, "key-1"), &values[2]);
	assert_int_equal(map.count, 4999);
	hmap_clear(&map);
	assert_null(hmap_get(&map, "key-1"));
}

static void test_token_bucket_burst_then_rate(void **state)
{
	struct token_bucket bucket;
	token_bucket_init(&bucket, 10, 5, 1000);
	for (int i = 0; i < 5; i++)
		assert_true(token_bucket_take(&bucket, 1000));
	assert_false(token_bucket_take(&bucket, 1000));
	/* 10 per second: one more token after 100 ms, none after 50 ms. */
	assert_false(token_bucket_take(&bucket, 1050));
	assert_true(token_bucket_take(&bucket, 1100));
	/* A long pause refills only up to the burst. */
	for (int i = 0; i < 5; i++)
		assert_true(token_bucket_take(&bucket, 60000));
	assert_false(token_bucket_take(&bucket, 60000));
}

static void test_random_formats(void **state)
{
	char hex[33], token[64];
	assert_int_equal(random_hex(hex, 16), 0);
	assert_int_equal(strlen(hex), 32);
	assert_int_equal(strspn(hex, "0123456789abcdef"), 32);
	assert_int_equal(random_token(token, 32), 0);
	assert_int_equal(strlen(token), 43);
	char other[33];
	assert_int_equal(random_hex(other, 16), 0);
	assert_string_not_equal(hex, other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_base64_round_trips),
	    cmocka_unit_test(test_base64_rejects_malformed),
	    cmocka_unit_test(test_hashmap_put_get_remove),
	    cmocka_unit_test(test_token_bucket_burst_then_rate),
	    cmocka_unit_test(test_random_formats),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
