/*
 * test_config_compare.c: naming the options two configurations disagree on
 * and copying one option between them, as a reload does to report what
 * changed and to keep restart-only options. Names come in the order of the
 * option table, text compares up to its end (not the stale bytes after it),
 * and an unknown name is refused.
 */
#include "config/config.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

/* Every name config_next_difference reports, joined with ','. */
static void differences(const struct config *a, const struct config *b, char *out, size_t size)
{
	size_t position = 0;
	const char *name;
	out[0] = '\0';
	while ((name = config_next_difference(a, b, &position))) {
		if (out[0])
			strncat(out, ",", size - strlen(out) - 1);
		strncat(out, name, size - strlen(out) - 1);
	}
}

static void test_equal_configurations_have_no_difference(void **state)
{
	(void)state;
	struct config a, b;
	config_defaults(&a);
	config_defaults(&b);
	char names[512];
	differences(&a, &b, names, sizeof(names));
	assert_string_equal(names, "");
}

static void test_differences_are_named_in_table_order(void **state)
{
	(void)state;
	struct config a, b;
	char err[256], names[512];
	config_defaults(&a);
	config_defaults(&b);
	assert_int_equal(config_set(&b, "log_level", "debug", err, sizeof(err)), 0);
	assert_int_equal(config_set(&b, "port", "9000", err, sizeof(err)), 0);
	assert_int_equal(config_set(&b, "guest_access", "on", err, sizeof(err)), 0);
	assert_int_equal(config_set(&b, "max_message_bytes", "2048", err, sizeof(err)), 0);
	differences(&a, &b, names, sizeof(names));
	assert_string_equal(names, "port,guest_access,max_message_bytes,log_level");
}

static void test_text_compares_up_to_its_end(void **state)
{
	(void)state;
	struct config a, b;
	char err[256], names[512];
	config_defaults(&a);
	config_defaults(&b);
	/* b's field keeps "example.org"'s tail after the shorter value's NUL. */
	assert_int_equal(config_set(&b, "domain", "example.org", err, sizeof(err)), 0);
	assert_int_equal(config_set(&b, "domain", "localhost", err, sizeof(err)), 0);
	assert_int_equal(config_set(&a, "domain", "localhost", err, sizeof(err)), 0);
	differences(&a, &b, names, sizeof(names));
	assert_string_equal(names, "");
	assert_int_equal(config_set(&b, "domain", "localhost2", err, sizeof(err)), 0);
	differences(&a, &b, names, sizeof(names));
	assert_string_equal(names, "domain");
}

static void test_copy_option_takes_one_value(void **state)
{
	(void)state;
	struct config running, fresh;
	char err[256], names[512];
	config_defaults(&running);
	config_defaults(&fresh);
	assert_int_equal(config_set(&fresh, "port", "9000", err, sizeof(err)), 0);
	assert_int_equal(config_set(&fresh, "db_path", "/var/lib/other.db", err, sizeof(err)), 0);
	assert_int_equal(config_set(&fresh, "max_peers_per_room", "2", err, sizeof(err)), 0);
	assert_int_equal(config_copy_option(&fresh, &running, "port"), 0);
	assert_int_equal(config_copy_option(&fresh, &running, "db_path"), 0);
	assert_int_equal(fresh.port, running.port);
	assert_string_equal(fresh.db_path, running.db_path);
	differences(&running, &fresh, names, sizeof(names));
	assert_string_equal(names, "max_peers_per_room");
	assert_int_equal(config_copy_option(&fresh, &running, "no_such_option"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_equal_configurations_have_no_difference),
	    cmocka_unit_test(test_differences_are_named_in_table_order),
	    cmocka_unit_test(test_text_compares_up_to_its_end),
	    cmocka_unit_test(test_copy_option_takes_one_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
