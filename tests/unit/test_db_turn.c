/*
 * test_db_turn.c: the TURN and API-key parts of the store: coturn's
 * turn_secret table in its exact schema, replacing a realm's secrets without
 * touching other realms, the shape of a TURN username, revocation of one
 * username or of every credential of a subject (never lowered, lifted for
 * credentials issued after it, written by user delete and disable), the
 * audit trail written in batches and pruned after 30 days, and API keys.
 */
#include "db_test_fixture.h"

#include <time.h>

#define NOW 1700000000

static const char SECRET_A[] = "aaaa";
static const char SECRET_B[] = "bbbb";
static const char SECRET_C[] = "cccc";

struct value_list {
	char values[8][64];
	int count;
};

static void collect_value(const char *value, void *arg)
{
	struct value_list *list = arg;
	assert_true(list->count < 8);
	snprintf(list->values[list->count++], 64, "%s", value);
}

static struct value_list list_secrets(struct db_fixture *fixture, const char *realm)
{
	struct value_list list = {.count = 0};
	assert_int_equal(store_turn_secrets_list(fixture->store, realm, collect_value, &list), 0);
	return list;
}

static void test_turn_secret_has_coturns_schema(void **state)
{
	struct db_fixture *fixture = *state;
	sqlite3 *raw = db_fixture_raw(fixture);
	/* coturn inserts with the realm defaulted and keys on (realm, value). */
	db_fixture_raw_exec(raw, "INSERT INTO turn_secret (value) VALUES ('x')");
	assert_int_equal(
	    db_fixture_raw_int(raw, "SELECT count(*) FROM turn_secret WHERE realm = ''"), 1);
	assert_int_equal(db_fixture_raw_int(raw,
	                                    "SELECT count(*) FROM pragma_table_info("
	                                    "'turn_secret') WHERE (name = 'realm' AND pk = 1 "
	                                    "AND type = 'varchar(127)') OR (name = 'value' AND "
	                                    "pk = 2 AND type = 'varchar(256)')"),
	                 2);
	assert_int_equal(
	    sqlite3_exec(raw, "INSERT INTO turn_secret VALUES ('', 'x')", NULL, NULL, NULL),
	    SQLITE_CONSTRAINT);
	sqlite3_close(raw);
}

static void test_secrets_replace_inserts_and_deletes(void **state)
{
	struct db_fixture *fixture = *state;
	const char *first[] = {SECRET_B, SECRET_A};
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", first, 2), 0);
	struct value_list list = list_secrets(fixture, "icegate");
	assert_int_equal(list.count, 2);
	assert_string_equal(list.values[0], SECRET_A);
	assert_string_equal(list.values[1], SECRET_B);

	const char *second[] = {SECRET_B, SECRET_C};
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", second, 2), 0);
	list = list_secrets(fixture, "icegate");
	assert_int_equal(list.count, 2);
	assert_string_equal(list.values[0], SECRET_B);
	assert_string_equal(list.values[1], SECRET_C);

	/* Idempotent. */
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", second, 2), 0);
	assert_int_equal(list_secrets(fixture, "icegate").count, 2);
}

static void test_secrets_replace_leaves_other_realms(void **state)
{
	struct db_fixture *fixture = *state;
	sqlite3 *raw = db_fixture_raw(fixture);
	db_fixture_raw_exec(raw, "INSERT INTO turn_secret VALUES ('other', 'theirs')");
	const char *values[] = {SECRET_A};
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", values, 1), 0);
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", NULL, 0), 0);
	assert_int_equal(list_secrets(fixture, "icegate").count, 0);
	struct value_list other = list_secrets(fixture, "other");
	assert_int_equal(other.count, 1);
	assert_string_equal(other.values[0], "theirs");
	sqlite3_close(raw);
}

static void test_secrets_replace_refuses_empty_value(void **state)
{
	struct db_fixture *fixture = *state;
	const char *before[] = {SECRET_A};
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", before, 1), 0);
	const char *values[] = {SECRET_B, ""};
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", values, 2), -1);
	assert_non_null(strstr(store_error(fixture->store), "a secret is empty"));
	/* Nothing changed: the old secret still serves. */
	struct value_list list = list_secrets(fixture, "icegate");
	assert_int_equal(list.count, 1);
	assert_string_equal(list.values[0], SECRET_A);
}

static void test_secrets_replace_refuses_oversized_value(void **state)
{
	struct db_fixture *fixture = *state;
	char value[STORE_TURN_SECRET_MAX + 1];
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	const char *values[] = {value};
	assert_int_equal(store_turn_secrets_replace(fixture->store, "icegate", values, 1), -1);
	assert_non_null(strstr(store_error(fixture->store), "longer than 256 bytes"));
}

static void test_secrets_replace_refuses_oversized_realm(void **state)
{
	struct db_fixture *fixture = *state;
	char realm[STORE_TURN_REALM_MAX + 1];
	memset(realm, 'r', sizeof(realm) - 1);
	realm[sizeof(realm) - 1] = '\0';
	const char *values[] = {SECRET_A};
	assert_int_equal(store_turn_secrets_replace(fixture->store, realm, values, 1), -1);
	assert_non_null(strstr(store_error(fixture->store), "realm is longer"));
}

static void test_username_shapes(void **state)
{
	(void)state;
	static const struct {
		const char *username;
		const char *why; /* NULL: accepted */
	} cases[] = {
	    {"1700000000:alice", NULL},
	    {"1700000000:guest:ab12", NULL},
	    {"1:x", NULL},
	    {"alice", "expected EXPIRY:SUBJECT"},
	    {":alice", "expected EXPIRY:SUBJECT"},
	    {"17e8:alice", "expected EXPIRY:SUBJECT"},
	    {"-5:alice", "expected EXPIRY:SUBJECT"},
	    {"12345678901234567890:alice", "expected EXPIRY:SUBJECT"},
	    {"1700000000:", "subject after ':' is empty"},
	    {"1700000000:a\tb", "control character"},
	    {"1700000000:a\x7f", "control character"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[128] = "";
		int rc = store_turn_username_check(cases[i].username, why, sizeof(why));
		if (!cases[i].why) {
			assert_int_equal(rc, 0);
		} else {
			assert_int_equal(rc, -1);
			assert_non_null(strstr(why, cases[i].why));
		}
	}
	char long_name[STORE_TURN_USERNAME_MAX + 1];
	memset(long_name, 'a', sizeof(long_name) - 1);
	memcpy(long_name, "1:", 2);
	long_name[sizeof(long_name) - 1] = '\0';
	char why[128];
	assert_int_equal(store_turn_username_check(long_name, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "longer than"));
}

static void test_revoke_username(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700003600:alice"), 0);
	assert_int_equal(store_turn_revoke_username(fixture->store, "1700003600:alice", NOW), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700003600:alice"), 1);
	/* Only that credential: another of the same user still works. */
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700003601:alice"), 0);
	/* Again: accepted, the first time kept. */
	assert_int_equal(store_turn_revoke_username(fixture->store, "1700003600:alice", NOW + 50),
	                 0);
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(
	    db_fixture_raw_int(raw, "SELECT revoked_at FROM ig_turn_revoked_usernames"), NOW);
	sqlite3_close(raw);
}

static void test_revoke_malformed_username_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_turn_revoke_username(fixture->store, "alice", NOW), -1);
	assert_non_null(strstr(store_error(fixture->store), "invalid TURN username"));
	assert_int_equal(store_turn_is_revoked(fixture->store, "no-colon"), -1);
}

static void test_revoke_subject_covers_up_to_expiry(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_turn_revoke_subject(fixture->store, "guest:ab", NOW, NOW + 3600), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700000001:guest:ab"), 1);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700003600:guest:ab"), 1);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700003601:guest:ab"), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700000001:guest:abc"), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700000001:guest"), 0);
}

static void test_revoke_subject_never_lowers(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_turn_revoke_subject(fixture->store, "alice", NOW, NOW + 86400), 0);
	assert_int_equal(store_turn_revoke_subject(fixture->store, "alice", NOW + 10, NOW + 3610),
	                 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700086400:alice"), 1);
	assert_int_equal(store_turn_revoke_subject(fixture->store, "alice", NOW + 20, NOW + 90000),
	                 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700090000:alice"), 1);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700090001:alice"), 0);
}

static void test_credential_ttl_setting(void **state)
{
	struct db_fixture *fixture = *state;
	int ttl = 0;
	assert_int_equal(store_turn_credential_ttl(fixture->store, &ttl), 0);
	assert_int_equal(ttl, STORE_TURN_TTL_DEFAULT);
	assert_int_equal(store_setting_set(fixture->store, STORE_TURN_TTL_SETTING, "600"), 0);
	assert_int_equal(store_turn_credential_ttl(fixture->store, &ttl), 0);
	assert_int_equal(ttl, 600);
}

static void test_credential_ttl_unreadable_is_longest(void **state)
{
	struct db_fixture *fixture = *state;
	static const char *const bad[] = {"", "ten", "60s", "0", "-5", "86401"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_setting_set(fixture->store, STORE_TURN_TTL_SETTING, bad[i]),
		                 0);
		int ttl = 0;
		assert_int_equal(store_turn_credential_ttl(fixture->store, &ttl), 0);
		assert_int_equal(ttl, STORE_TURN_TTL_MAX);
	}
}

static int64_t latest_event(struct db_fixture *fixture, char *name, size_t name_size)
{
	sqlite3 *raw = db_fixture_raw(fixture);
	sqlite3_stmt *statement = NULL;
	assert_int_equal(sqlite3_prepare_v2(raw,
	                                    "SELECT name, kind FROM ig_user_events ORDER BY seq "
	                                    "DESC LIMIT 1",
	                                    -1, &statement, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
	snprintf(name, name_size, "%s", (const char *)sqlite3_column_text(statement, 0));
	int64_t kind = sqlite3_column_int64(statement, 1);
	sqlite3_finalize(statement);
	sqlite3_close(raw);
	return kind;
}

static void test_revoke_user_records_event(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_user_add(fixture->store, "alice", "$argon2id$h", "sender"), 0);
	assert_int_equal(store_setting_set(fixture->store, STORE_TURN_TTL_SETTING, "7200"), 0);
	assert_int_equal(store_turn_revoke_user(fixture->store, "alice", NOW), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700007200:alice"), 1);
	assert_int_equal(store_turn_is_revoked(fixture->store, "1700007201:alice"), 0);
	char name[STORE_NAME_MAX];
	assert_int_equal(latest_event(fixture, name, sizeof(name)), STORE_USER_TURN_REVOKED);
	assert_string_equal(name, "alice");
}

static void test_revoke_missing_user_is_1(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_turn_revoke_user(fixture->store, "ghost", NOW), 1);
	assert_string_equal(store_error(fixture->store), "no user 'ghost'");
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_turn_revoked_subjects"),
	                 0);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_user_events"), 0);
	sqlite3_close(raw);
}

/* A credential minted just now, as the daemon would: EXPIRY = now + ttl. */
static void fresh_username(char *out, size_t size, int64_t now, const char *subject)
{
	snprintf(out, size, "%lld:%s", (long long)(now + 3600), subject);
}

static void test_delete_revokes_turn(void **state)
{
	struct db_fixture *fixture = *state;
	int64_t now = (int64_t)time(NULL);
	char username[64];
	fresh_username(username, sizeof(username), now, "alice");
	assert_int_equal(store_user_add(fixture->store, "alice", "$argon2id$h", "sender"), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, username), 0);
	assert_int_equal(store_user_delete(fixture->store, "alice"), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, username), 1);
}

static void test_disable_revokes_and_reenable_gets_new_credentials(void **state)
{
	struct db_fixture *fixture = *state;
	int64_t now = (int64_t)time(NULL);
	char before[64], after[64];
	fresh_username(before, sizeof(before), now, "alice");
	assert_int_equal(store_user_add(fixture->store, "alice", "$argon2id$h", "sender"), 0);
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 1), 0);
	assert_int_equal(store_turn_is_revoked(fixture->store, before), 1);
	assert_int_equal(store_user_set_disabled(fixture->store, "alice", 0), 0);
	/* Enabling lifts nothing: the old credential stays refused... */
	assert_int_equal(store_turn_is_revoked(fixture->store, before), 1);
	/* ...and one issued later expires after the revocation's reach. */
	fresh_username(after, sizeof(after), now + 5, "alice");
	assert_int_equal(store_turn_is_revoked(fixture->store, after), 0);
}

static void test_password_and_roles_do_not_revoke_turn(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_user_add(fixture->store, "alice", "$argon2id$h", "sender"), 0);
	assert_int_equal(store_user_set_password(fixture->store, "alice", "$argon2id$new"), 0);
	assert_int_equal(store_user_set_roles(fixture->store, "alice", "receiver"), 0);
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_turn_revoked_subjects"),
	                 0);
	sqlite3_close(raw);
}

struct revocation_list {
	struct store_turn_revocation rows[8];
	int count;
};

static void collect_revocation(const struct store_turn_revocation *revocation, void *arg)
{
	struct revocation_list *list = arg;
	assert_true(list->count < 8);
	list->rows[list->count++] = *revocation;
}

static void test_revocations_list_and_prune(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_turn_revoke_username(fixture->store, "1700000100:bob", NOW), 0);
	assert_int_equal(store_turn_revoke_username(fixture->store, "1700009999:bob", NOW), 0);
	assert_int_equal(store_turn_revoke_subject(fixture->store, "alice", NOW, NOW + 200), 0);
	assert_int_equal(store_turn_revoke_subject(fixture->store, "carol", NOW, NOW + 9000), 0);
	struct revocation_list list = {.count = 0};
	assert_int_equal(store_turn_revocations_list(fixture->store, collect_revocation, &list), 0);
	assert_int_equal(list.count, 4);
	assert_int_equal(list.rows[0].is_subject, 1);
	assert_string_equal(list.rows[0].name, "alice");
	assert_int_equal(list.rows[0].expiry_through, NOW + 200);
	assert_string_equal(list.rows[1].name, "carol");
	assert_int_equal(list.rows[2].is_subject, 0);
	assert_string_equal(list.rows[2].name, "1700000100:bob");
	assert_int_equal(list.rows[2].revoked_at, NOW);

	/* At NOW + 1000 the first username and alice's record match nothing. */
	assert_int_equal(store_turn_revocations_prune(fixture->store, NOW + 1000), 2);
	list.count = 0;
	assert_int_equal(store_turn_revocations_list(fixture->store, collect_revocation, &list), 0);
	assert_int_equal(list.count, 2);
	assert_string_equal(list.rows[0].name, "carol");
	assert_string_equal(list.rows[1].name, "1700009999:bob");
}

static struct store_turn_audit audit_record(const char *subject, int64_t issued_at)
{
	struct store_turn_audit record;
	memset(&record, 0, sizeof(record));
	snprintf(record.subject, sizeof(record.subject), "%s", subject);
	snprintf(record.username, sizeof(record.username), "%lld:%s", (long long)(issued_at + 3600),
	         subject);
	record.issued_at = issued_at;
	record.expires_at = issued_at + 3600;
	return record;
}

static void test_audit_batch_and_prune(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_turn_audit records[3] = {
	    audit_record("alice", NOW - 31 * 86400),
	    audit_record("bob", NOW - 29 * 86400),
	    audit_record("alice", NOW),
	};
	assert_int_equal(store_turn_audit_insert(fixture->store, records, 3), 0);
	assert_int_equal(store_turn_audit_insert(fixture->store, NULL, 0), 0);
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_turn_credentials WHERE "
	                                         "subject = 'alice' AND expires_at = issued_at + "
	                                         "3600"),
	                 2);
	assert_int_equal(store_turn_audit_prune(fixture->store, NOW), 1);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_turn_credentials"), 2);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT min(issued_at) FROM ig_turn_credentials"),
	                 NOW - 29 * 86400);
	sqlite3_close(raw);
}

static void test_audit_batch_is_all_or_nothing(void **state)
{
	struct db_fixture *fixture = *state;
	/* The bad record first: the good one after it must not land either. */
	struct store_turn_audit records[2] = {audit_record("", NOW), audit_record("alice", NOW)};
	assert_int_equal(store_turn_audit_insert(fixture->store, records, 2), -1);
	assert_non_null(strstr(store_error(fixture->store), "a subject is empty"));
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_turn_credentials"), 0);
	sqlite3_close(raw);
}

static void test_audit_inside_callers_transaction(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_turn_audit record = audit_record("alice", NOW);
	assert_int_equal(store_begin(fixture->store), 0);
	assert_int_equal(store_turn_audit_insert(fixture->store, &record, 1), 0);
	store_rollback(fixture->store);
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_turn_credentials"), 0);
	sqlite3_close(raw);
}

#define HASH_A "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define HASH_B "fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

struct key_list {
	struct store_apikey keys[4];
	int count;
};

static void collect_key(const struct store_apikey *key, void *arg)
{
	struct key_list *list = arg;
	assert_true(list->count < 4);
	list->keys[list->count++] = *key;
}

static void test_apikey_add_find_list_delete(void **state)
{
	struct db_fixture *fixture = *state;
	int64_t before = (int64_t)time(NULL);
	assert_int_equal(store_apikey_add(fixture->store, "zeta", HASH_A), 0);
	assert_int_equal(store_apikey_add(fixture->store, "Zoë-ci", HASH_B), 0);
	char name[STORE_NAME_MAX];
	assert_int_equal(store_apikey_find(fixture->store, HASH_B, name), 0);
	assert_string_equal(name, "Zoë-ci");
	struct key_list list = {.count = 0};
	assert_int_equal(store_apikey_list(fixture->store, collect_key, &list), 0);
	assert_int_equal(list.count, 2);
	assert_string_equal(list.keys[0].name, "Zoë-ci");
	assert_string_equal(list.keys[1].name, "zeta");
	assert_true(list.keys[1].created_at >= before);
	assert_int_equal(store_apikey_delete(fixture->store, "zeta"), 0);
	assert_int_equal(store_apikey_find(fixture->store, HASH_A, name), 1);
}

static void test_apikey_taken_name_is_1(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_apikey_add(fixture->store, "ci", HASH_A), 0);
	assert_int_equal(store_apikey_add(fixture->store, "ci", HASH_B), 1);
	assert_string_equal(store_error(fixture->store), "API key 'ci' already exists");
	char name[STORE_NAME_MAX];
	assert_int_equal(store_apikey_find(fixture->store, HASH_B, name), 1);
}

static void test_apikey_invalid_name_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_apikey_add(fixture->store, "has space", HASH_A), -1);
	assert_string_equal(store_error(fixture->store),
	                    "invalid API key name: contains whitespace");
	assert_int_equal(store_apikey_add(fixture->store, "a:b", HASH_A), -1);
}

static void test_apikey_bad_hash_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	static const char *const bad[] = {
	    "", "abc", HASH_A "0",
	    "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_apikey_add(fixture->store, "ci", bad[i]), -1);
		assert_non_null(strstr(store_error(fixture->store), "64 lowercase hex"));
	}
	char name[STORE_NAME_MAX];
	assert_int_equal(store_apikey_find(fixture->store, "abc", name), 1);
}

static void test_apikey_delete_missing_is_1(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_apikey_delete(fixture->store, "ghost"), 1);
	assert_string_equal(store_error(fixture->store), "no API key 'ghost'");
}

struct event_list {
	int kinds[8];
	char names[8][STORE_NAME_MAX];
	int count;
};

static void collect_event(const char *name, enum store_user_event kind, void *arg)
{
	struct event_list *list = arg;
	assert_true(list->count < 8);
	snprintf(list->names[list->count], STORE_NAME_MAX, "%s", name);
	list->kinds[list->count++] = (int)kind;
}

static void test_new_event_kinds_are_delivered(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_user_event_append(fixture->store, "", STORE_SECRET_ROTATED), 0);
	assert_int_equal(store_user_event_append(fixture->store, "bob", STORE_USER_TURN_REVOKED),
	                 0);
	struct event_list list = {.count = 0};
	int64_t last = 0;
	assert_int_equal(store_user_events_since(fixture->store, 0, &last, collect_event, &list),
	                 0);
	assert_int_equal(list.count, 2);
	assert_int_equal(list.kinds[0], STORE_SECRET_ROTATED);
	assert_string_equal(list.names[0], "");
	assert_int_equal(list.kinds[1], STORE_USER_TURN_REVOKED);
	assert_string_equal(list.names[1], "bob");
}

static void test_setting_delete(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_setting_set(fixture->store, "k", "v"), 0);
	assert_int_equal(store_setting_delete(fixture->store, "k"), 0);
	char value[8];
	assert_int_equal(store_setting_get(fixture->store, "k", value, sizeof(value)), 1);
	assert_int_equal(store_setting_delete(fixture->store, "k"), 1);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, db_fixture_setup, db_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    TEST(test_turn_secret_has_coturns_schema),
	    TEST(test_secrets_replace_inserts_and_deletes),
	    TEST(test_secrets_replace_leaves_other_realms),
	    TEST(test_secrets_replace_refuses_empty_value),
	    TEST(test_secrets_replace_refuses_oversized_value),
	    TEST(test_secrets_replace_refuses_oversized_realm),
	    TEST(test_username_shapes),
	    TEST(test_revoke_username),
	    TEST(test_revoke_malformed_username_is_error),
	    TEST(test_revoke_subject_covers_up_to_expiry),
	    TEST(test_revoke_subject_never_lowers),
	    TEST(test_credential_ttl_setting),
	    TEST(test_credential_ttl_unreadable_is_longest),
	    TEST(test_revoke_user_records_event),
	    TEST(test_revoke_missing_user_is_1),
	    TEST(test_delete_revokes_turn),
	    TEST(test_disable_revokes_and_reenable_gets_new_credentials),
	    TEST(test_password_and_roles_do_not_revoke_turn),
	    TEST(test_revocations_list_and_prune),
	    TEST(test_audit_batch_and_prune),
	    TEST(test_audit_batch_is_all_or_nothing),
	    TEST(test_audit_inside_callers_transaction),
	    TEST(test_apikey_add_find_list_delete),
	    TEST(test_apikey_taken_name_is_1),
	    TEST(test_apikey_invalid_name_is_error),
	    TEST(test_apikey_bad_hash_is_error),
	    TEST(test_apikey_delete_missing_is_1),
	    TEST(test_new_event_kinds_are_delivered),
	    TEST(test_setting_delete),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
