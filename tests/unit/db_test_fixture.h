/*
 * db_test_fixture.h: a fresh store in a private temporary directory for each
 * db/ unit test, and a raw second SQLite connection to the same file for
 * playing "another process" (a concurrent writer, an older or newer program).
 * Header-only because each test file is its own executable.
 */
#ifndef ICEGATE_TESTS_DB_TEST_FIXTURE_H
#define ICEGATE_TESTS_DB_TEST_FIXTURE_H

#include "db/store.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct db_fixture {
	char dir[PATH_MAX / 2];
	char path[PATH_MAX];
	struct store *store; /* owned; NULL once a test closed it */
	char err[512];
};

static inline void db_fixture_remove_files(const struct db_fixture *fixture)
{
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char file[PATH_MAX + 16];
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(file, sizeof(file), "%s%s", fixture->path, suffixes[i]);
		unlink(file);
	}
}

static inline int db_fixture_setup(void **state)
{
	struct db_fixture *fixture = calloc(1, sizeof(*fixture));
	if (!fixture)
		return -1;
	const char *tmp = getenv("TMPDIR");
	snprintf(fixture->dir, sizeof(fixture->dir), "%s/icegate-db-XXXXXX",
	         tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(fixture->dir)) {
		free(fixture);
		return -1;
	}
	snprintf(fixture->path, sizeof(fixture->path), "%s/icegate.db", fixture->dir);
	fixture->store = store_open(fixture->path, fixture->err, sizeof(fixture->err));
	if (!fixture->store) {
		fprintf(stderr, "store_open: %s\n", fixture->err);
		rmdir(fixture->dir);
		free(fixture);
		return -1;
	}
	*state = fixture;
	return 0;
}

static inline int db_fixture_teardown(void **state)
{
	struct db_fixture *fixture = *state;
	store_close(fixture->store);
	db_fixture_remove_files(fixture);
	rmdir(fixture->dir);
	free(fixture);
	return 0;
}

/* Reopens the fixture's store, as a restarted process would. */
static inline void db_fixture_reopen(struct db_fixture *fixture)
{
	store_close(fixture->store);
	fixture->store = store_open(fixture->path, fixture->err, sizeof(fixture->err));
	assert_non_null(fixture->store);
}

/* A second connection to the fixture's file, as another process would have. */
static inline sqlite3 *db_fixture_raw(const struct db_fixture *fixture)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(fixture->path, &db), SQLITE_OK);
	return db;
}

static inline void db_fixture_raw_exec(sqlite3 *db, const char *sql)
{
	char *message = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &message);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, message ? message : "?");
	sqlite3_free(message);
	assert_int_equal(rc, SQLITE_OK);
}

/* The first column of the first row of sql, as an integer. */
static inline long long db_fixture_raw_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *statement = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &statement, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(statement), SQLITE_ROW);
	long long value = sqlite3_column_int64(statement, 0);
	sqlite3_finalize(statement);
	return value;
}

#endif
