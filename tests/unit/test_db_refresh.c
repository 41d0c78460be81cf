/*
 * test_db_refresh.c: refresh tokens in the store: insert and read back,
 * single use (the second mark_used is a replay), revoking a family or a
 * subject without touching other tokens, and pruning only expired ones.
 */
#include "db_test_fixture.h"

static struct store_refresh make_token(const char *hash, const char *family, const char *subject,
                                       int64_t expires_at)
{
	struct store_refresh token = {.issued_at = 1000, .expires_at = expires_at};
	snprintf(token.token_hash, sizeof(token.token_hash), "%s", hash);
	snprintf(token.family, sizeof(token.family), "%s", family);
	snprintf(token.subject, sizeof(token.subject), "%s", subject);
	snprintf(token.roles, sizeof(token.roles), "sender,receiver");
	snprintf(token.room, sizeof(token.room), "lobby");
	return token;
}

static void insert(struct db_fixture *fixture, const char *hash, const char *family,
                   const char *subject, int64_t expires_at)
{
	struct store_refresh token = make_token(hash, family, subject, expires_at);
	assert_int_equal(store_refresh_insert(fixture->store, &token), 0);
}

static struct store_refresh get(struct db_fixture *fixture, const char *hash)
{
	struct store_refresh token;
	assert_int_equal(store_refresh_get(fixture->store, hash, &token), 0);
	return token;
}

static void test_insert_and_get(void **state)
{
	struct db_fixture *fixture = *state;
	char hash[65];
	memset(hash, 'a', 64);
	hash[64] = '\0';
	insert(fixture, hash, "fam1", "alice", 5000);
	struct store_refresh token = get(fixture, hash);
	assert_string_equal(token.token_hash, hash);
	assert_string_equal(token.family, "fam1");
	assert_string_equal(token.subject, "alice");
	assert_string_equal(token.roles, "sender,receiver");
	assert_string_equal(token.room, "lobby");
	assert_int_equal(token.issued_at, 1000);
	assert_int_equal(token.expires_at, 5000);
	assert_int_equal(token.used, 0);
	assert_int_equal(token.revoked, 0);
}

static void test_get_missing_is_1(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_refresh token;
	assert_int_equal(store_refresh_get(fixture->store, "nope", &token), 1);
}

static void test_insert_duplicate_hash_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	insert(fixture, "h1", "fam1", "alice", 5000);
	struct store_refresh token = make_token("h1", "fam2", "bob", 5000);
	assert_int_equal(store_refresh_insert(fixture->store, &token), -1);
	assert_string_equal(get(fixture, "h1").subject, "alice");
}

static void test_insert_unterminated_subject_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_refresh token = make_token("h1", "fam1", "alice", 5000);
	memset(token.subject, 'x', sizeof(token.subject));
	assert_int_equal(store_refresh_insert(fixture->store, &token), -1);
	assert_non_null(strstr(store_error(fixture->store), "subject is longer than"));
}

static void test_insert_empty_family_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_refresh token = make_token("h1", "", "alice", 5000);
	assert_int_equal(store_refresh_insert(fixture->store, &token), -1);
	assert_non_null(strstr(store_error(fixture->store), "family is empty"));
}

static void test_insert_without_room(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_refresh token = make_token("h1", "fam1", "alice", 5000);
	token.room[0] = '\0';
	assert_int_equal(store_refresh_insert(fixture->store, &token), 0);
	assert_string_equal(get(fixture, "h1").room, "");
}

static void test_mark_used_twice_is_replay(void **state)
{
	struct db_fixture *fixture = *state;
	insert(fixture, "h1", "fam1", "alice", 5000);
	assert_int_equal(store_refresh_mark_used(fixture->store, "h1", 2000), 0);
	assert_int_equal(get(fixture, "h1").used, 1);
	assert_int_equal(store_refresh_mark_used(fixture->store, "h1", 2001), 1);
}

static void test_mark_used_revoked_is_replay(void **state)
{
	struct db_fixture *fixture = *state;
	insert(fixture, "h1", "fam1", "alice", 5000);
	assert_int_equal(store_refresh_revoke_family(fixture->store, "fam1"), 0);
	assert_int_equal(store_refresh_mark_used(fixture->store, "h1", 2000), 1);
	assert_int_equal(get(fixture, "h1").used, 0);
}

static void test_mark_used_unknown_is_1(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_refresh_mark_used(fixture->store, "nope", 2000), 1);
}

static void test_revoke_family_only_that_family(void **state)
{
	struct db_fixture *fixture = *state;
	insert(fixture, "h1", "fam1", "alice", 5000);
	insert(fixture, "h2", "fam1", "alice", 5000);
	insert(fixture, "h3", "fam2", "alice", 5000);
	assert_int_equal(store_refresh_revoke_family(fixture->store, "fam1"), 0);
	assert_int_equal(get(fixture, "h1").revoked, 1);
	assert_int_equal(get(fixture, "h2").revoked, 1);
	assert_int_equal(get(fixture, "h3").revoked, 0);
}

static void test_revoke_subject_only_that_subject(void **state)
{
	struct db_fixture *fixture = *state;
	insert(fixture, "h1", "fam1", "alice", 5000);
	insert(fixture, "h2", "fam2", "alice", 5000);
	insert(fixture, "h3", "fam3", "guest:ab12", 5000);
	assert_int_equal(store_refresh_revoke_subject(fixture->store, "alice"), 0);
	assert_int_equal(get(fixture, "h1").revoked, 1);
	assert_int_equal(get(fixture, "h2").revoked, 1);
	assert_int_equal(get(fixture, "h3").revoked, 0);
}

static void test_prune_removes_only_expired(void **state)
{
	struct db_fixture *fixture = *state;
	insert(fixture, "old1", "fam1", "alice", 100);
	insert(fixture, "old2", "fam2", "bob", 199);
	insert(fixture, "edge", "fam3", "bob", 200);
	insert(fixture, "new", "fam4", "bob", 300);
	assert_int_equal(store_refresh_prune(fixture->store, 200), 2);
	struct store_refresh token;
	assert_int_equal(store_refresh_get(fixture->store, "old1", &token), 1);
	assert_int_equal(store_refresh_get(fixture->store, "old2", &token), 1);
	assert_int_equal(store_refresh_get(fixture->store, "edge", &token), 0);
	assert_int_equal(store_refresh_get(fixture->store, "new", &token), 0);
	assert_int_equal(store_refresh_prune(fixture->store, 200), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, db_fixture_setup, db_fixture_teardown)
	    T(test_insert_and_get),
	    T(test_get_missing_is_1),
	    T(test_insert_duplicate_hash_is_error),
	    T(test_insert_unterminated_subject_is_error),
	    T(test_insert_empty_family_is_error),
	    T(test_insert_without_room),
	    T(test_mark_used_twice_is_replay),
	    T(test_mark_used_revoked_is_replay),
	    T(test_mark_used_unknown_is_1),
	    T(test_revoke_family_only_that_family),
	    T(test_revoke_subject_only_that_subject),
	    T(test_prune_removes_only_expired),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
