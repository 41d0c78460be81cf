/*
 * test_auth_roles.c: role names and the comma form stored for users and
 * refresh tokens. Every spelling that is not exactly a role must be refused,
 * since a lenient parser would let "Sender" or "sender " grant a role.
 */
#include "auth/roles.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_parse_one_known(void **state)
{
	assert_int_equal(roles_parse_one("sender"), ROLE_SENDER);
	assert_int_equal(roles_parse_one("receiver"), ROLE_RECEIVER);
}

static void test_parse_one_unknown(void **state)
{
	assert_int_equal(roles_parse_one("admin"), 0);
	assert_int_equal(roles_parse_one("Sender"), 0);
	assert_int_equal(roles_parse_one("sender "), 0);
	assert_int_equal(roles_parse_one("send"), 0);
	assert_int_equal(roles_parse_one("senders"), 0);
	assert_int_equal(roles_parse_one(""), 0);
	assert_int_equal(roles_parse_one("sender,receiver"), 0);
	assert_int_equal(roles_parse_one(NULL), 0);
}

static void test_parse_list(void **state)
{
	assert_int_equal(roles_parse_list("sender"), ROLE_SENDER);
	assert_int_equal(roles_parse_list("receiver"), ROLE_RECEIVER);
	assert_int_equal(roles_parse_list("sender,receiver"), ROLE_ALL);
	assert_int_equal(roles_parse_list("receiver,sender"), ROLE_ALL);
	assert_int_equal(roles_parse_list("sender,sender"), ROLE_SENDER);
}

static void test_parse_list_empty(void **state)
{
	assert_int_equal(roles_parse_list(""), 0);
	assert_int_equal(roles_parse_list(NULL), 0);
}

static void test_parse_list_empty_element(void **state)
{
	assert_int_equal(roles_parse_list("sender,"), 0);
	assert_int_equal(roles_parse_list(",sender"), 0);
	assert_int_equal(roles_parse_list("sender,,receiver"), 0);
	assert_int_equal(roles_parse_list(","), 0);
}

static void test_parse_list_unknown_element(void **state)
{
	assert_int_equal(roles_parse_list("sender,admin"), 0);
	assert_int_equal(roles_parse_list("sender, receiver"), 0);
}

static void test_format(void **state)
{
	char out[32];
	assert_int_equal(roles_format(ROLE_SENDER, out, sizeof(out)), 0);
	assert_string_equal(out, "sender");
	assert_int_equal(roles_format(ROLE_RECEIVER, out, sizeof(out)), 0);
	assert_string_equal(out, "receiver");
	assert_int_equal(roles_format(ROLE_ALL, out, sizeof(out)), 0);
	assert_string_equal(out, "sender,receiver");
	assert_int_equal(roles_parse_list(out), ROLE_ALL);
}

static void test_format_too_small(void **state)
{
	char out[15]; /* "sender,receiver" needs 16 */
	assert_int_equal(roles_format(ROLE_ALL, out, sizeof(out)), -1);
	assert_string_equal(out, "");
	char exact[16];
	assert_int_equal(roles_format(ROLE_ALL, exact, sizeof(exact)), 0);
	assert_int_equal(roles_format(ROLE_SENDER, out, 0), -1);
}

static void test_format_invalid_set(void **state)
{
	char out[32];
	assert_int_equal(roles_format(0, out, sizeof(out)), -1);
	assert_int_equal(roles_format(1u << 5, out, sizeof(out)), -1);
	assert_int_equal(roles_format(ROLE_SENDER | 1u << 5, out, sizeof(out)), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_one_known),
	    cmocka_unit_test(test_parse_one_unknown),
	    cmocka_unit_test(test_parse_list),
	    cmocka_unit_test(test_parse_list_empty),
	    cmocka_unit_test(test_parse_list_empty_element),
	    cmocka_unit_test(test_parse_list_unknown_element),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_format_too_small),
	    cmocka_unit_test(test_format_invalid_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
