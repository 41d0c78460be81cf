/*
 * test_auth_password.c: argon2id hashing as stored for users. A login must
 * succeed with the right password only, hashes must be salted, over-long
 * passwords refused, malformed stored hashes reported rather than treated as
 * a mismatch, and the dummy hash must cost a real verification.
 */
#include "auth/password.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static void test_hash_and_verify(void **state)
{
	char hash[PASSWORD_HASH_MAX];
	assert_int_equal(password_hash("correct horse", hash, sizeof(hash)), 0);
	assert_true(strncmp(hash, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	assert_int_equal(password_verify(hash, "correct horse"), 1);
}

static void test_wrong_password(void **state)
{
	char hash[PASSWORD_HASH_MAX];
	assert_int_equal(password_hash("correct horse", hash, sizeof(hash)), 0);
	assert_int_equal(password_verify(hash, "correct horsE"), 0);
	assert_int_equal(password_verify(hash, ""), 0);
	assert_int_equal(password_verify(hash, "correct horse "), 0);
}

static void test_salted(void **state)
{
	char first[PASSWORD_HASH_MAX], second[PASSWORD_HASH_MAX];
	assert_int_equal(password_hash("same", first, sizeof(first)), 0);
	assert_int_equal(password_hash("same", second, sizeof(second)), 0);
	assert_string_not_equal(first, second);
	assert_int_equal(password_verify(second, "same"), 1);
}

static void test_empty_password_hashes(void **state)
{
	char hash[PASSWORD_HASH_MAX];
	assert_int_equal(password_hash("", hash, sizeof(hash)), 0);
	assert_int_equal(password_verify(hash, ""), 1);
	assert_int_equal(password_verify(hash, "x"), 0);
}

static char *long_password(size_t length)
{
	char *password = malloc(length + 1);
	assert_non_null(password);
	memset(password, 'p', length);
	password[length] = '\0';
	return password;
}

static void test_longest_password(void **state)
{
	char hash[PASSWORD_HASH_MAX];
	char *password = long_password(PASSWORD_MAX_LENGTH);
	assert_int_equal(password_hash(password, hash, sizeof(hash)), 0);
	assert_int_equal(password_verify(hash, password), 1);
	free(password);
}

static void test_over_long_password_refused(void **state)
{
	char hash[PASSWORD_HASH_MAX] = "unchanged";
	char *password = long_password(PASSWORD_MAX_LENGTH + 1);
	assert_int_equal(password_hash(password, hash, sizeof(hash)), -1);
	assert_string_equal(hash, "");
	free(password);
}

static void test_over_long_password_never_matches(void **state)
{
	char hash[PASSWORD_HASH_MAX];
	char *password = long_password(PASSWORD_MAX_LENGTH);
	assert_int_equal(password_hash(password, hash, sizeof(hash)), 0);
	free(password);
	/* A longer one sharing the accepted prefix must not match by truncation. */
	password = long_password(PASSWORD_MAX_LENGTH + 1);
	assert_int_equal(password_verify(hash, password), 0);
	free(password);
}

static void test_output_too_small(void **state)
{
	char hash[40];
	assert_int_equal(password_hash("secret", hash, sizeof(hash)), -1);
}

static void test_malformed_hash(void **state)
{
	assert_int_equal(password_verify("", "x"), -1);
	assert_int_equal(password_verify("not a hash", "x"), -1);
	assert_int_equal(password_verify("$argon2id$v=19$m=19456,t=2,p=1$!!!$???", "x"), -1);
}

static void test_other_argon2_variant_refused(void **state)
{
	/* An argon2i hash, which this module never writes. */
	assert_int_equal(password_verify("$argon2i$v=19$m=19456,t=2,p=1$"
	                                 "oy5xwPu5Lx8XXuze44Nw9Q$"
	                                 "VIwc9jHWAl3PO/r/avMgapL927ZU1tZTZcAG9DHRLpE",
	                                 "x"),
	                 -1);
}

static void test_dummy_hash(void **state)
{
	const char *dummy = password_dummy_hash();
	assert_non_null(dummy);
	assert_true(strncmp(dummy, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	/* A well-formed hash (so checking costs a full argon2id run) nobody matches. */
	assert_int_equal(password_verify(dummy, ""), 0);
	assert_int_equal(password_verify(dummy, "password"), 0);
	assert_ptr_equal(password_dummy_hash(), dummy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_and_verify),
	    cmocka_unit_test(test_wrong_password),
	    cmocka_unit_test(test_salted),
	    cmocka_unit_test(test_empty_password_hashes),
	    cmocka_unit_test(test_longest_password),
	    cmocka_unit_test(test_over_long_password_refused),
	    cmocka_unit_test(test_over_long_password_never_matches),
	    cmocka_unit_test(test_output_too_small),
	    cmocka_unit_test(test_malformed_hash),
	    cmocka_unit_test(test_other_argon2_variant_refused),
	    cmocka_unit_test(test_dummy_hash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
