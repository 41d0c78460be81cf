/*
 * test_db_users.c: user accounts in the store: adding, reading, listing,
 * changing and deleting users; each shape of name the store must refuse, and
 * the awkward names (quotes, SQL fragments, non-ASCII letters) it must keep
 * exactly; the events and refresh-token revocations that user changes cause.
 */
#include "db_test_fixture.h"

#include <time.h>

static void add_user(struct db_fixture *fixture, const char *name)
{
	assert_int_equal(store_user_add(fixture->store, name, "$argon2id$hash", "sender,receiver"),
	                 0);
}

static void test_add_and_get(void **state)
{
	struct db_fixture *fixture = *state;
	int64_t before = (int64_t)time(NULL);
	add_user(fixture, "alice");
	struct store_user user;
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 0);
	assert_string_equal(user.name, "alice");
	assert_string_equal(user.password_hash, "$argon2id$hash");
	assert_string_equal(user.roles, "sender,receiver");
	assert_int_equal(user.disabled, 0);
	assert_true(user.id > 0);
	assert_true(user.created_at >= before && user.created_at <= (int64_t)time(NULL));
}

static void test_get_missing_is_1(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_user user;
	assert_int_equal(store_user_get(fixture->store, "nobody", &user), 1);
}

static void test_add_taken_name_is_1(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	assert_int_equal(store_user_add(fixture->store, "alice", "other", "sender"), 1);
	assert_string_equal(store_error(fixture->store), "user 'alice' already exists");
	struct store_user user;
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 0);
	assert_string_equal(user.password_hash, "$argon2id$hash");
}

static void test_add_empty_hash_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_user_add(fixture->store, "alice", "", "sender"), -1);
	assert_string_equal(store_error(fixture->store), "password hash is empty");
}

static void test_add_oversized_roles_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	char roles[STORE_ROLES_MAX + 1];
	memset(roles, 'r', sizeof(roles) - 1);
	roles[sizeof(roles) - 1] = '\0';
	assert_int_equal(store_user_add(fixture->store, "alice", "hash", roles), -1);
	assert_non_null(strstr(store_error(fixture->store), "roles is longer than"));
}

struct name_list {
	char names[8][STORE_NAME_MAX];
	int count;
};

static void collect_name(const struct store_user *user, void *arg)
{
	struct name_list *list = arg;
	assert_true(list->count < 8);
	snprintf(list->names[list->count++], STORE_NAME_MAX, "%s", user->name);
}

static void test_list_orders_by_name(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "carol");
	add_user(fixture, "alice");
	add_user(fixture, "bob");
	struct name_list list = {.count = 0};
	assert_int_equal(store_user_list(fixture->store, collect_name, &list), 0);
	assert_int_equal(list.count, 3);
	assert_string_equal(list.names[0], "alice");
	assert_string_equal(list.names[1], "bob");
	assert_string_equal(list.names[2], "carol");
}

static void test_delete(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	assert_int_equal(store_user_delete(fixture->store, "alice"), 0);
	struct store_user user;
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 1);
	assert_int_equal(store_user_delete(fixture->store, "alice"), 1);
	assert_string_equal(store_error(fixture->store), "no user 'alice'");
}

static void test_disable_and_enable(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	struct store_user user;
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 1), 0);
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 0);
	assert_int_equal(user.disabled, 1);
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 0), 0);
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 0);
	assert_int_equal(user.disabled, 0);
	assert_int_equal(store_user_set_disabled(fixture->store, "bob", 1), 1);
}

static void test_set_password_and_roles(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	struct store_user user;
	assert_int_equal(store_user_set_password(fixture->store, "alice", "$argon2id$new"), 0);
	assert_int_equal(store_user_set_roles(fixture->store, "alice", "receiver"), 0);
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 0);
	assert_string_equal(user.password_hash, "$argon2id$new");
	assert_string_equal(user.roles, "receiver");
	assert_int_equal(store_user_set_password(fixture->store, "bob", "$argon2id$new"), 1);
	assert_int_equal(store_user_set_roles(fixture->store, "bob", "receiver"), 1);
}

/* ---- names the store refuses, one shape per test ---- */

static void expect_name_refused(void **state, const char *name, const char *why)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_user_add(fixture->store, name, "hash", "sender"), -1);
	char expected[256];
	snprintf(expected, sizeof(expected), "invalid user name: %s", why);
	assert_string_equal(store_error(fixture->store), expected);
	struct name_list list = {.count = 0};
	assert_int_equal(store_user_list(fixture->store, collect_name, &list), 0);
	assert_int_equal(list.count, 0);
}

static void test_name_empty(void **state)
{
	expect_name_refused(state, "", "empty");
}

static void test_name_too_long(void **state)
{
	char name[66];
	memset(name, 'a', 65);
	name[65] = '\0';
	expect_name_refused(state, name, "longer than 64 bytes");
}

static void test_name_invalid_utf8_byte(void **state)
{
	expect_name_refused(state, "ab\xff", "not valid UTF-8");
}

static void test_name_overlong_utf8(void **state)
{
	/* An overlong '/' would slip past byte-level checks. */
	expect_name_refused(state, "a\xc0\xaf", "not valid UTF-8");
}

static void test_name_utf8_surrogate(void **state)
{
	expect_name_refused(state, "a\xed\xa0\x80", "not valid UTF-8");
}

static void test_name_truncated_utf8(void **state)
{
	expect_name_refused(state, "caf\xc3", "not valid UTF-8");
}

static void test_name_control_character(void **state)
{
	expect_name_refused(state, "al\x01ice", "contains a control character");
}

static void test_name_newline(void **state)
{
	expect_name_refused(state, "alice\nbob", "contains a control character");
}

static void test_name_delete_character(void **state)
{
	expect_name_refused(state, "alice\x7f", "contains a control character");
}

static void test_name_c1_control(void **state)
{
	expect_name_refused(state, "alice\xc2\x85", "contains a control character");
}

static void test_name_space(void **state)
{
	expect_name_refused(state, "alice smith", "contains whitespace");
}

static void test_name_no_break_space(void **state)
{
	expect_name_refused(state, "alice\xc2\xa0smith", "contains whitespace");
}

static void test_name_ideographic_space(void **state)
{
	expect_name_refused(state, "alice\xe3\x80\x80", "contains whitespace");
}

static void test_name_zero_width_space(void **state)
{
	expect_name_refused(state,
	                    "ali\xe2\x80\x8b"
	                    "ce",
	                    "contains an invisible or direction-changing character");
}

static void test_name_bidi_override(void **state)
{
	expect_name_refused(state,
	                    "\xe2\x80\xae"
	                    "ecila",
	                    "contains an invisible or direction-changing character");
}

static void test_name_colon(void **state)
{
	expect_name_refused(state, "guest:0123",
	                    "contains ':', which is reserved for token subjects");
}

/* ---- awkward names the store keeps exactly ---- */

static void expect_name_round_trips(void **state, const char *name)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, name);
	add_user(fixture, "zzz-other");
	struct store_user user;
	assert_int_equal(store_user_get(fixture->store, name, &user), 0);
	assert_string_equal(user.name, name);
	struct name_list list = {.count = 0};
	assert_int_equal(store_user_list(fixture->store, collect_name, &list), 0);
	assert_int_equal(list.count, 2);
	assert_string_equal(list.names[0], name);
	assert_int_equal(store_user_set_disabled(fixture->store, name, 1), 0);
	assert_int_equal(store_user_delete(fixture->store, name), 0);
	assert_int_equal(store_user_get(fixture->store, "zzz-other", &user), 0);
}

static void test_name_max_length_kept(void **state)
{
	char name[65];
	memset(name, 'a', 64);
	name[64] = '\0';
	expect_name_round_trips(state, name);
}

static void test_name_with_quotes_kept(void **state)
{
	expect_name_round_trips(state, "o'brien\"the`third`");
}

static void test_name_with_sql_kept(void **state)
{
	expect_name_round_trips(state, "x');DROP/**/TABLE/**/ig_users;--");
}

static void test_name_with_percent_and_underscore_kept(void **state)
{
	/* LIKE wildcards must not match other users. */
	expect_name_round_trips(state, "%_%");
}

static void test_name_with_unicode_kept(void **state)
{
	expect_name_round_trips(state, "Zoë-用户-🎥");
}

/* ---- user events and token revocation ---- */

struct event_list {
	char names[8][STORE_NAME_MAX];
	enum store_user_event kinds[8];
	int count;
};

static void collect_event(const char *name, enum store_user_event kind, void *arg)
{
	struct event_list *list = arg;
	assert_true(list->count < 8);
	snprintf(list->names[list->count], STORE_NAME_MAX, "%s", name);
	list->kinds[list->count++] = kind;
}

static void test_events_record_each_change(void **state)
{
	struct db_fixture *fixture = *state;
	int64_t latest = -1;
	assert_int_equal(store_user_event_latest(fixture->store, &latest), 0);
	assert_int_equal(latest, 0);
	add_user(fixture, "alice");
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 1), 0);
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 0), 0);
	assert_int_equal(store_user_set_password(fixture->store, "alice", "new"), 0);
	assert_int_equal(store_user_delete(fixture->store, "alice"), 0);

	struct event_list list = {.count = 0};
	int64_t last = 0;
	assert_int_equal(store_user_events_since(fixture->store, 0, &last, collect_event, &list),
	                 0);
	assert_int_equal(list.count, 4);
	assert_int_equal(list.kinds[0], STORE_USER_DISABLED);
	assert_int_equal(list.kinds[1], STORE_USER_ENABLED);
	assert_int_equal(list.kinds[2], STORE_USER_PASSWORD_CHANGED);
	assert_int_equal(list.kinds[3], STORE_USER_DELETED);
	assert_string_equal(list.names[3], "alice");
	assert_int_equal(store_user_event_latest(fixture->store, &latest), 0);
	assert_int_equal(last, latest);
}

static void test_events_since_skips_seen(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	add_user(fixture, "bob");
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 1), 0);
	int64_t seen = 0;
	assert_int_equal(store_user_event_latest(fixture->store, &seen), 0);
	assert_int_equal(store_user_set_disabled(fixture->store, "bob", 1), 0);

	struct event_list list = {.count = 0};
	int64_t last = seen;
	assert_int_equal(store_user_events_since(fixture->store, seen, &last, collect_event, &list),
	                 0);
	assert_int_equal(list.count, 1);
	assert_string_equal(list.names[0], "bob");
	assert_true(last > seen);

	int64_t unchanged = last;
	list.count = 0;
	assert_int_equal(
	    store_user_events_since(fixture->store, last, &unchanged, collect_event, &list), 0);
	assert_int_equal(list.count, 0);
	assert_int_equal(unchanged, last);
}

static void test_missing_user_change_records_no_event(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_user_delete(fixture->store, "ghost"), 1);
	assert_int_equal(store_user_set_disabled(fixture->store, "ghost", 1), 1);
	int64_t latest = -1;
	assert_int_equal(store_user_event_latest(fixture->store, &latest), 0);
	assert_int_equal(latest, 0);
}

static void insert_token(struct db_fixture *fixture, const char *hash, const char *subject)
{
	struct store_refresh token = {.issued_at = 100, .expires_at = 4000000000};
	snprintf(token.token_hash, sizeof(token.token_hash), "%s", hash);
	snprintf(token.family, sizeof(token.family), "family-%s", hash);
	snprintf(token.subject, sizeof(token.subject), "%s", subject);
	snprintf(token.roles, sizeof(token.roles), "sender");
	assert_int_equal(store_refresh_insert(fixture->store, &token), 0);
}

static int token_revoked(struct db_fixture *fixture, const char *hash)
{
	struct store_refresh token;
	assert_int_equal(store_refresh_get(fixture->store, hash, &token), 0);
	return token.revoked;
}

static void test_delete_revokes_only_that_users_tokens(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	insert_token(fixture, "a1", "alice");
	insert_token(fixture, "b1", "bob");
	assert_int_equal(store_user_delete(fixture->store, "alice"), 0);
	assert_int_equal(token_revoked(fixture, "a1"), 1);
	assert_int_equal(token_revoked(fixture, "b1"), 0);
}

static void test_disable_revokes_tokens(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	insert_token(fixture, "a1", "alice");
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 1), 0);
	assert_int_equal(token_revoked(fixture, "a1"), 1);
}

static void test_password_and_roles_changes_revoke_tokens(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	insert_token(fixture, "a1", "alice");
	assert_int_equal(store_user_set_password(fixture->store, "alice", "new"), 0);
	assert_int_equal(token_revoked(fixture, "a1"), 1);
	insert_token(fixture, "a2", "alice");
	assert_int_equal(store_user_set_roles(fixture->store, "alice", "receiver"), 0);
	assert_int_equal(token_revoked(fixture, "a2"), 1);
}

static void test_enable_keeps_tokens_revoked_state(void **state)
{
	struct db_fixture *fixture = *state;
	add_user(fixture, "alice");
	insert_token(fixture, "a1", "alice");
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 0), 0);
	assert_int_equal(token_revoked(fixture, "a1"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, db_fixture_setup, db_fixture_teardown)
	    T(test_add_and_get),
	    T(test_get_missing_is_1),
	    T(test_add_taken_name_is_1),
	    T(test_add_empty_hash_is_error),
	    T(test_add_oversized_roles_is_error),
	    T(test_list_orders_by_name),
	    T(test_delete),
	    T(test_disable_and_enable),
	    T(test_set_password_and_roles),
	    T(test_name_empty),
	    T(test_name_too_long),
	    T(test_name_invalid_utf8_byte),
	    T(test_name_overlong_utf8),
	    T(test_name_utf8_surrogate),
	    T(test_name_truncated_utf8),
	    T(test_name_control_character),
	    T(test_name_newline),
	    T(test_name_delete_character),
	    T(test_name_c1_control),
	    T(test_name_space),
	    T(test_name_no_break_space),
	    T(test_name_ideographic_space),
	    T(test_name_zero_width_space),
	    T(test_name_bidi_override),
	    T(test_name_colon),
	    T(test_name_max_length_kept),
	    T(test_name_with_quotes_kept),
	    T(test_name_with_sql_kept),
	    T(test_name_with_percent_and_underscore_kept),
	    T(test_name_with_unicode_kept),
	    T(test_events_record_each_change),
	    T(test_events_since_skips_seen),
	    T(test_missing_user_change_records_no_event),
	    T(test_delete_revokes_only_that_users_tokens),
	    T(test_disable_revokes_tokens),
	    T(test_password_and_roles_changes_revoke_tokens),
	    T(test_enable_keeps_tokens_revoked_state),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
