/*
 * store_sql.c: the plumbing every store function shares: error text an
 * operator can act on, the prepared-statement cache, bounded column copies,
 * and write scopes that nest inside a caller's store_begin.
 *
 * Errors name what was being done and why it failed in plain words ("adding
 * user: the database is locked by another writer"), because the caller shows
 * them as they are: icegatectl prints them, the daemon logs them.
 */
#include "db/store_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void store_set_error(struct store *store, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	vsnprintf(store->error, sizeof(store->error), fmt, args);
	va_end(args);
}

void store_describe(sqlite3 *db, int rc, char *out, size_t out_size)
{
	const char *text;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		text = "the database is locked by another writer (gave up after 5 seconds)";
		break;
	case SQLITE_READONLY:
		text = "the database is read-only (check the permissions of the file and its "
		       "directory)";
		break;
	case SQLITE_FULL:
		text = "the disk is full (or the database reached its size limit)";
		break;
	case SQLITE_CANTOPEN:
		text = "the database file cannot be opened (does its directory exist and is it "
		       "writable?)";
		break;
	case SQLITE_NOTADB:
		text = "the file is not an SQLite database";
		break;
	case SQLITE_CORRUPT:
		text = "the database file is corrupt";
		break;
	case SQLITE_NOMEM:
		text = "out of memory";
		break;
	case SQLITE_IOERR:
		text = "input/output error";
		break;
	default:
		text = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
		break;
	}
	/* The system error tells a missing directory from a permission problem. */
	int system_error = db ? sqlite3_system_errno(db) : 0;
	int with_errno =
	    system_error != 0 && ((rc & 0xff) == SQLITE_CANTOPEN || (rc & 0xff) == SQLITE_IOERR ||
	                          (rc & 0xff) == SQLITE_READONLY);
	if (with_errno)
		snprintf(out, out_size, "%s: %s", text, strerror(system_error));
	else
		snprintf(out, out_size, "%s", text);
}

int store_fail(struct store *store, const char *doing, int rc)
{
	char why[STORE_ERROR_MAX];
	store_describe(store->db, rc, why, sizeof(why));
	store_set_error(store, "%s: %s", doing, why);
	return -1;
}

sqlite3_stmt *store_statement(struct store *store, enum store_statement slot, const char *sql)
{
	if (store->statements[slot])
		return store->statements[slot];
	int rc = sqlite3_prepare_v3(store->db, sql, -1, SQLITE_PREPARE_PERSISTENT,
	                            &store->statements[slot], NULL);
	if (rc != SQLITE_OK) {
		store_fail(store, "preparing a statement", rc);
		store->statements[slot] = NULL;
		return NULL;
	}
	return store->statements[slot];
}

void store_statement_done(sqlite3_stmt *statement)
{
	/* Resetting ends the statement's read transaction, which would otherwise
	 * pin the WAL and hide other processes' commits from this connection. */
	sqlite3_reset(statement);
	sqlite3_clear_bindings(statement);
}

int store_step_changes(struct store *store, sqlite3_stmt *statement, const char *doing)
{
	int rc = sqlite3_step(statement);
	if (rc != SQLITE_DONE)
		return store_fail(store, doing, rc);
	return sqlite3_changes(store->db) > 0 ? 0 : 1;
}

int store_bind_text(struct store *store, sqlite3_stmt *statement, int index, const char *value,
                    const char *doing)
{
	int rc = sqlite3_bind_text(statement, index, value, -1, SQLITE_TRANSIENT);
	if (rc != SQLITE_OK)
		return store_fail(store, doing, rc);
	return 0;
}

int store_bind_int64(struct store *store, sqlite3_stmt *statement, int index, int64_t value,
                     const char *doing)
{
	int rc = sqlite3_bind_int64(statement, index, (sqlite3_int64)value);
	if (rc != SQLITE_OK)
		return store_fail(store, doing, rc);
	return 0;
}

int store_copy_column(struct store *store, sqlite3_stmt *statement, int column, char *out,
                      size_t out_size, const char *what)
{
	const unsigned char *text = sqlite3_column_text(statement, column);
	size_t length = (size_t)sqlite3_column_bytes(statement, column);
	if (!text) {
		if (sqlite3_column_type(statement, column) != SQLITE_NULL) {
			store_set_error(store, "reading %s: out of memory", what);
			return -1;
		}
		out[0] = '\0';
		return 0;
	}
	if (length >= out_size) {
		store_set_error(store,
		                "reading %s: stored value is %zu bytes, over the %zu allowed", what,
		                length, out_size - 1);
		return -1;
	}
	memcpy(out, text, length);
	out[length] = '\0';
	return 0;
}

int store_exec(struct store *store, const char *sql, const char *doing)
{
	int rc = sqlite3_exec(store->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return store_fail(store, doing, rc);
	return 0;
}

/* Rolls back whatever transaction is open. SQLite rolls back by itself after
 * some errors (a full disk, an I/O error), so only act if one is still open. */
static void store_rollback_open(struct store *store)
{
	if (!sqlite3_get_autocommit(store->db))
		sqlite3_exec(store->db, "ROLLBACK", NULL, NULL, NULL);
	store->savepoint_depth = 0;
}

int store_write_begin(struct store *store, const char *doing)
{
	if (sqlite3_get_autocommit(store->db)) {
		store->savepoint_depth = 0;
		return store_exec(store, "BEGIN IMMEDIATE", doing);
	}
	if (store_exec(store, "SAVEPOINT ig_write", doing) < 0)
		return -1;
	store->savepoint_depth++;
	return 0;
}

int store_write_end(struct store *store, int ok, const char *doing)
{
	if (store->savepoint_depth > 0) {
		store->savepoint_depth--;
		if (sqlite3_get_autocommit(store->db)) {
			/* An error already rolled the whole transaction back. */
			store->savepoint_depth = 0;
			return ok ? store_fail(store, doing, SQLITE_ABORT) : -1;
		}
		if (!ok) {
			sqlite3_exec(store->db, "ROLLBACK TO ig_write", NULL, NULL, NULL);
			sqlite3_exec(store->db, "RELEASE ig_write", NULL, NULL, NULL);
			return -1;
		}
		return store_exec(store, "RELEASE ig_write", doing);
	}
	if (!ok) {
		store_rollback_open(store);
		return -1;
	}
	int rc = sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_fail(store, doing, rc);
		store_rollback_open(store);
		return -1;
	}
	return 0;
}

int store_begin(struct store *store)
{
	store->savepoint_depth = 0;
	return store_exec(store, "BEGIN IMMEDIATE", "starting a transaction");
}

int store_commit(struct store *store)
{
	int rc = sqlite3_exec(store->db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		store_fail(store, "committing a transaction", rc);
		store_rollback_open(store);
		return -1;
	}
	store->savepoint_depth = 0;
	return 0;
}

void store_rollback(struct store *store)
{
	store_rollback_open(store);
}
