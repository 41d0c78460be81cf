/*
 * store.c: opening and closing the store, the connection settings every
 * process sharing the file must agree on (WAL, busy timeout, foreign keys,
 * synchronous=NORMAL), and the store-wide probes (schema version, writability,
 * "did another process commit?").
 *
 * An open store is always fully migrated and writable: a file we cannot write
 * is refused at open rather than failing on the first login. A new database
 * is created readable by its owner only (SQLite gives the -wal and -shm files
 * the same mode): it holds password hashes, refresh tokens and TURN secrets.
 */
#include "db/store_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Switches the file to WAL so readers (the daemon) never wait for writers
 * (icegatectl), and checks that the switch took. */
static int store_enable_wal(struct store *store)
{
	sqlite3_stmt *statement = NULL;
	int rc = sqlite3_prepare_v2(store->db, "PRAGMA journal_mode = WAL", -1, &statement, NULL);
	if (rc != SQLITE_OK)
		return store_fail(store, "enabling WAL mode", rc);
	rc = sqlite3_step(statement);
	if (rc != SQLITE_ROW) {
		sqlite3_finalize(statement);
		return store_fail(store, "enabling WAL mode", rc);
	}
	const char *mode = (const char *)sqlite3_column_text(statement, 0);
	int is_wal = mode && strcmp(mode, "wal") == 0;
	if (!is_wal)
		store_set_error(store, "enabling WAL mode: the database stayed in '%s' mode",
		                mode ? mode : "unknown");
	sqlite3_finalize(statement);
	return is_wal ? 0 : -1;
}

static int store_read_data_version(struct store *store, int64_t *out)
{
	sqlite3_stmt *statement = store_statement(store, STMT_DATA_VERSION, "PRAGMA data_version");
	if (!statement)
		return -1;
	int rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(statement, 0);
	store_statement_done(statement);
	if (rc != SQLITE_ROW)
		return store_fail(store, "reading the data version", rc);
	return 0;
}

static int store_configure(struct store *store)
{
	sqlite3_extended_result_codes(store->db, 1);
	int rc = sqlite3_busy_timeout(store->db, STORE_BUSY_TIMEOUT_MS);
	if (rc != SQLITE_OK)
		return store_fail(store, "setting the busy timeout", rc);
	if (sqlite3_db_readonly(store->db, "main") == 1) {
		char why[STORE_ERROR_MAX];
		store_describe(NULL, SQLITE_READONLY, why, sizeof(why));
		store_set_error(store, "%s", why);
		return -1;
	}
	if (store_enable_wal(store) < 0)
		return -1;
	if (store_exec(store, "PRAGMA foreign_keys = ON", "enabling foreign keys") < 0)
		return -1;
	if (store_exec(store, "PRAGMA synchronous = NORMAL", "setting synchronous mode") < 0)
		return -1;
	if (store_migrate(store) < 0)
		return -1;
	return store_read_data_version(store, &store->data_version);
}

/* Creates the database file with mode 0600 if it does not exist yet, so
 * SQLite never creates it with the process's umask. An existing file keeps
 * its mode: the operator may have chosen it. */
static int store_create_private_file(const char *path, char *err, size_t err_size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	snprintf(err, err_size, "cannot open database '%s': %s", path, strerror(errno));
	return -1;
}

struct store *store_open(const char *path, char *err, size_t err_size)
{
	if (!path || !*path) {
		snprintf(err, err_size, "database path is empty");
		return NULL;
	}
	if (store_create_private_file(path, err, err_size) < 0)
		return NULL;
	struct store *store = calloc(1, sizeof(*store));
	if (!store) {
		snprintf(err, err_size, "opening database '%s': out of memory", path);
		return NULL;
	}
	int rc =
	    sqlite3_open_v2(path, &store->db,
	                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		char why[STORE_ERROR_MAX];
		store_describe(store->db, rc, why, sizeof(why));
		snprintf(err, err_size, "cannot open database '%s': %s", path, why);
		store_close(store);
		return NULL;
	}
	if (store_configure(store) < 0) {
		snprintf(err, err_size, "database '%s': %s", path, store->error);
		store_close(store);
		return NULL;
	}
	return store;
}

void store_close(struct store *store)
{
	if (!store)
		return;
	for (int i = 0; i < STMT_COUNT; i++)
		sqlite3_finalize(store->statements[i]);
	/* sqlite3_close_v2 defers the close until nothing else holds the
	 * connection, so an unfinished statement cannot leak it. */
	sqlite3_close_v2(store->db);
	free(store);
}

const char *store_error(const struct store *store)
{
	return store->error;
}

int store_schema_version(struct store *store)
{
	sqlite3_stmt *statement = NULL;
	int rc = sqlite3_prepare_v2(store->db, "PRAGMA user_version", -1, &statement, NULL);
	if (rc != SQLITE_OK)
		return store_fail(store, "reading the schema version", rc);
	int version = -1;
	rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		version = sqlite3_column_int(statement, 0);
	else
		store_fail(store, "reading the schema version", rc);
	sqlite3_finalize(statement);
	return version;
}

int store_check_writable(struct store *store)
{
	/* Inside the caller's transaction we already hold the write lock. */
	if (!sqlite3_get_autocommit(store->db))
		return 0;
	/* Taking the lock is not enough: a file that refuses writes (read-only
	 * mount, immutable, full disk) still grants it. Commit a real write. */
	static const char doing[] = "checking the database is writable";
	if (store_exec(store, "BEGIN IMMEDIATE", doing) < 0)
		return -1;
	if (store_exec(store,
	               "INSERT INTO ig_settings (key, value) VALUES ('readiness_probe', "
	               "strftime('%s', 'now')) ON CONFLICT (key) DO UPDATE SET value = "
	               "excluded.value",
	               doing) < 0) {
		store_exec(store, "ROLLBACK", doing);
		return -1;
	}
	if (store_exec(store, "COMMIT", doing) < 0) {
		store_exec(store, "ROLLBACK", doing);
		return -1;
	}
	return 0;
}

int store_changed(struct store *store)
{
	int64_t version = 0;
	if (store_read_data_version(store, &version) < 0)
		return -1;
	if (version == store->data_version)
		return 0;
	store->data_version = version;
	return 1;
}
