/*
 * test_db_store.c: the store as a file on disk: creation and migrations,
 * its private file mode, reopening, refusing a newer schema, the connection settings shared with
 * other processes, settings, change detection, transactions, and each way the
 * file can be unusable (missing directory, read-only, locked, full, not a
 * database) giving a clear error while leaving the data intact.
 */
#include "db_test_fixture.h"

#include "db/store_internal.h"

#include <sys/stat.h>

#define LATEST_SCHEMA 2

static void test_open_creates_and_migrates(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_schema_version(fixture->store), LATEST_SCHEMA);
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE "
	                                         "type = 'table' AND name = 'ig_users'"),
	                 1);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE "
	                                         "type = 'index' AND name LIKE "
	                                         "'ig_refresh_tokens_%'"),
	                 3);
	sqlite3_close(raw);
}

/* The database holds password hashes, refresh tokens and TURN secrets: a new
 * one, and its WAL and shared-memory files, are readable by the owner only,
 * whatever the umask; an existing file keeps the mode its operator gave it. */
static void test_new_database_is_private(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_setting_set(fixture->store, "k", "v"), 0);
	static const char *const suffixes[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		char file[PATH_MAX + 16];
		snprintf(file, sizeof(file), "%s%s", fixture->path, suffixes[i]);
		struct stat info;
		assert_int_equal(stat(file, &info), 0);
		assert_int_equal(info.st_mode & 0777, 0600);
	}
	store_close(fixture->store);
	fixture->store = NULL;
	assert_int_equal(chmod(fixture->path, 0640), 0);
	db_fixture_reopen(fixture);
	struct stat info;
	assert_int_equal(stat(fixture->path, &info), 0);
	assert_int_equal(info.st_mode & 0777, 0640);
}

static void test_reopen_is_idempotent_and_keeps_data(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_setting_set(fixture->store, "k", "v"), 0);
	db_fixture_reopen(fixture);
	db_fixture_reopen(fixture);
	assert_int_equal(store_schema_version(fixture->store), LATEST_SCHEMA);
	char value[16];
	assert_int_equal(store_setting_get(fixture->store, "k", value, sizeof(value)), 0);
	assert_string_equal(value, "v");
}

static void test_every_table_is_prefixed(void **state)
{
	struct db_fixture *fixture = *state;
	sqlite3 *raw = db_fixture_raw(fixture);
	/* coturn owns the unprefixed names in the same file; turn_secret is the
	 * one of them icegate creates (in coturn's schema) and fills. */
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE "
	                                         "type = 'table' AND name NOT LIKE 'ig\\_%' "
	                                         "ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' "
	                                         "ESCAPE '\\' AND name != 'turn_secret'"),
	                 0);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM sqlite_master WHERE "
	                                         "name = 'allowed_peer_ip'"),
	                 0);
	sqlite3_close(raw);
}

static void test_newer_schema_is_refused(void **state)
{
	struct db_fixture *fixture = *state;
	store_close(fixture->store);
	fixture->store = NULL;
	sqlite3 *raw = db_fixture_raw(fixture);
	db_fixture_raw_exec(raw, "PRAGMA user_version = 99");
	sqlite3_close(raw);

	fixture->store = store_open(fixture->path, fixture->err, sizeof(fixture->err));
	assert_null(fixture->store);
	assert_non_null(strstr(fixture->err, "schema version 99 is newer"));
}

static void test_connection_settings(void **state)
{
	struct db_fixture *fixture = *state;
	sqlite3 *raw = db_fixture_raw(fixture);
	sqlite3_stmt *statement = NULL;
	assert_int_equal(sqlite3_prepare_v2(raw, "PRAGMA journal_mode", -1, &statement, NULL),
	                 SQLITE_OK);
	assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(statement, 0), "wal");
	sqlite3_finalize(statement);
	sqlite3_close(raw);

	sqlite3 *db = fixture->store->db;
	assert_int_equal(db_fixture_raw_int(db, "PRAGMA foreign_keys"), 1);
	assert_int_equal(db_fixture_raw_int(db, "PRAGMA synchronous"), 1); /* NORMAL */
	assert_int_equal(db_fixture_raw_int(db, "PRAGMA busy_timeout"), 5000);
}

static void test_settings_get_set(void **state)
{
	struct db_fixture *fixture = *state;
	char value[32];
	assert_int_equal(store_setting_get(fixture->store, "jwt_secret", value, sizeof(value)), 1);
	assert_int_equal(store_setting_set(fixture->store, "jwt_secret", "first"), 0);
	assert_int_equal(store_setting_set(fixture->store, "jwt_secret", "second"), 0);
	assert_int_equal(store_setting_get(fixture->store, "jwt_secret", value, sizeof(value)), 0);
	assert_string_equal(value, "second");
}

static void test_setting_too_long_for_buffer_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	char value[4];
	assert_int_equal(store_setting_set(fixture->store, "k", "abcd"), 0);
	assert_int_equal(store_setting_get(fixture->store, "k", value, sizeof(value)), -1);
	assert_non_null(strstr(store_error(fixture->store), "over the 3 allowed"));
}

static void test_setting_init_keeps_first_value(void **state)
{
	struct db_fixture *fixture = *state;
	char out[32];
	assert_int_equal(store_setting_init(fixture->store, "secret", "one", out, sizeof(out)), 0);
	assert_string_equal(out, "one");
	assert_int_equal(store_setting_init(fixture->store, "secret", "two", out, sizeof(out)), 0);
	assert_string_equal(out, "one");
}

static void test_changed_sees_other_connection_commit(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_changed(fixture->store), 0);
	/* Our own writes are not "another connection's". */
	assert_int_equal(store_setting_set(fixture->store, "mine", "1"), 0);
	assert_int_equal(store_changed(fixture->store), 0);

	sqlite3 *raw = db_fixture_raw(fixture);
	db_fixture_raw_exec(raw, "INSERT INTO ig_settings (key, value) VALUES ('theirs', '1')");
	sqlite3_close(raw);
	assert_int_equal(store_changed(fixture->store), 1);
	assert_int_equal(store_changed(fixture->store), 0);
}

static void test_transaction_commit_and_rollback(void **state)
{
	struct db_fixture *fixture = *state;
	char value[16];
	assert_int_equal(store_begin(fixture->store), 0);
	assert_int_equal(store_setting_set(fixture->store, "a", "1"), 0);
	store_rollback(fixture->store);
	assert_int_equal(store_setting_get(fixture->store, "a", value, sizeof(value)), 1);

	assert_int_equal(store_begin(fixture->store), 0);
	assert_int_equal(store_setting_set(fixture->store, "a", "2"), 0);
	assert_int_equal(store_commit(fixture->store), 0);
	assert_int_equal(store_setting_get(fixture->store, "a", value, sizeof(value)), 0);
	assert_string_equal(value, "2");
}

static void test_user_change_nests_in_caller_transaction(void **state)
{
	struct db_fixture *fixture = *state;
	struct store_user user;
	assert_int_equal(store_user_add(fixture->store, "alice", "hash", "sender"), 0);
	assert_int_equal(store_begin(fixture->store), 0);
	assert_int_equal(store_user_delete(fixture->store, "alice"), 0);
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 1);
	store_rollback(fixture->store);
	/* The delete and its event vanish with the caller's rollback. */
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 0);
	int64_t seq = -1;
	assert_int_equal(store_user_event_latest(fixture->store, &seq), 0);
	assert_int_equal(seq, 0);
}

static void test_failed_change_leaves_no_transaction_open(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_user_delete(fixture->store, "ghost"), 1);
	assert_int_equal(store_user_add(fixture->store, "bob", "hash", "sender"), 0);
	/* Had the failed delete left its transaction open, bob would not be
	 * committed and another process would not see him. */
	sqlite3 *raw = db_fixture_raw(fixture);
	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM ig_users"), 1);
	sqlite3_close(raw);
}

static void test_check_writable(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_check_writable(fixture->store), 0);
}

static void test_missing_directory_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	char path[PATH_MAX + 32], err[512];
	snprintf(path, sizeof(path), "%s/no-such-dir/icegate.db", fixture->dir);
	struct store *store = store_open(path, err, sizeof(err));
	assert_null(store);
	assert_non_null(strstr(err, "cannot open database"));
	assert_non_null(strstr(err, "No such file or directory"));
}

static void test_empty_path_is_error(void **state)
{
	char err[128];
	assert_null(store_open("", err, sizeof(err)));
	assert_string_equal(err, "database path is empty");
}

static void test_not_a_database_is_error(void **state)
{
	struct db_fixture *fixture = *state;
	char path[PATH_MAX + 32], err[512];
	snprintf(path, sizeof(path), "%s/garbage.db", fixture->dir);
	FILE *file = fopen(path, "w");
	assert_non_null(file);
	for (int i = 0; i < 512; i++)
		fputs("not a database ", file);
	fclose(file);
	struct store *store = store_open(path, err, sizeof(err));
	unlink(path);
	assert_null(store);
	assert_non_null(strstr(err, "not an SQLite database"));
}

static void test_read_only_file_is_error_and_data_intact(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_setting_set(fixture->store, "k", "kept"), 0);
	store_close(fixture->store);
	fixture->store = NULL;
	assert_int_equal(chmod(fixture->path, 0444), 0);
	assert_int_equal(chmod(fixture->dir, 0555), 0);

	/* Root ignores file modes, so as root the open runs as nobody. */
	int as_root = geteuid() == 0;
	if (as_root)
		assert_int_equal(seteuid(65534), 0);
	char err[512];
	struct store *store = store_open(fixture->path, err, sizeof(err));
	if (as_root)
		assert_int_equal(seteuid(0), 0);
	store_close(store);
	chmod(fixture->dir, 0700);
	chmod(fixture->path, 0644);
	assert_null(store);
	char expected[sizeof(fixture->path) + 128];
	snprintf(expected, sizeof(expected),
	         "database '%s': the database is read-only (check the permissions of the file and "
	         "its directory)",
	         fixture->path);
	assert_string_equal(err, expected);

	db_fixture_reopen(fixture);
	char value[16];
	assert_int_equal(store_setting_get(fixture->store, "k", value, sizeof(value)), 0);
	assert_string_equal(value, "kept");
}

static void test_locked_database_is_error_and_data_intact(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_setting_set(fixture->store, "k", "before"), 0);
	sqlite3 *raw = db_fixture_raw(fixture);
	db_fixture_raw_exec(raw, "BEGIN IMMEDIATE");
	/* Waits out the 5 s busy timeout, then gives up. */
	assert_int_equal(store_setting_set(fixture->store, "k", "after"), -1);
	assert_non_null(strstr(store_error(fixture->store), "writing a setting"));
	assert_non_null(strstr(store_error(fixture->store), "locked by another writer"));
	db_fixture_raw_exec(raw, "ROLLBACK");
	sqlite3_close(raw);

	char value[16];
	assert_int_equal(store_setting_get(fixture->store, "k", value, sizeof(value)), 0);
	assert_string_equal(value, "before");
	assert_int_equal(store_setting_set(fixture->store, "k", "after"), 0);
}

static void test_full_disk_is_error_and_data_intact(void **state)
{
	struct db_fixture *fixture = *state;
	assert_int_equal(store_setting_set(fixture->store, "k", "before"), 0);
	assert_int_equal(store_user_add(fixture->store, "alice", "hash", "sender"), 0);
	/* Capping the file at its current size is how SQLite sees a full disk. */
	sqlite3 *db = fixture->store->db;
	long long pages = db_fixture_raw_int(db, "PRAGMA page_count");
	char sql[64];
	snprintf(sql, sizeof(sql), "PRAGMA max_page_count = %lld", pages);
	db_fixture_raw_exec(db, sql);

	size_t big_size = 256 * 1024;
	char *big = malloc(big_size + 1);
	assert_non_null(big);
	memset(big, 'x', big_size);
	big[big_size] = '\0';
	int rc = store_setting_set(fixture->store, "big", big);
	free(big);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(store_error(fixture->store), "disk is full"));

	char value[16];
	assert_int_equal(store_setting_get(fixture->store, "k", value, sizeof(value)), 0);
	assert_string_equal(value, "before");
	assert_int_equal(store_setting_get(fixture->store, "big", value, sizeof(value)), 1);
	struct store_user user;
	assert_int_equal(store_user_get(fixture->store, "alice", &user), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, db_fixture_setup, db_fixture_teardown)
	    T(test_open_creates_and_migrates),
	    T(test_new_database_is_private),
	    T(test_reopen_is_idempotent_and_keeps_data),
	    T(test_every_table_is_prefixed),
	    T(test_newer_schema_is_refused),
	    T(test_connection_settings),
	    T(test_settings_get_set),
	    T(test_setting_too_long_for_buffer_is_error),
	    T(test_setting_init_keeps_first_value),
	    T(test_changed_sees_other_connection_commit),
	    T(test_transaction_commit_and_rollback),
	    T(test_user_change_nests_in_caller_transaction),
	    T(test_failed_change_leaves_no_transaction_open),
	    T(test_check_writable),
	    T(test_missing_directory_is_error),
	    cmocka_unit_test(test_empty_path_is_error),
	    T(test_not_a_database_is_error),
	    T(test_read_only_file_is_error_and_data_intact),
	    T(test_locked_database_is_error_and_data_intact),
	    T(test_full_disk_is_error_and_data_intact),
#undef T
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
