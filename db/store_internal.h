/*
 * store_internal.h: what the files of db/ share and nobody else sees: the store
 * struct, the prepared-statement cache, error reporting and transaction helpers.
 *
 * Every statement the store runs is prepared once per connection and kept in a
 * slot of the cache (one slot per statement, named below), so hot paths such as
 * refresh-token lookups never re-parse SQL. The SQL text stays next to the code
 * that runs it; the slot only says where its compiled form lives. Tests may
 * include this header to reach the raw connection (e.g. to simulate a full
 * disk); the rest of the program must not.
 */
#ifndef ICEGATE_DB_STORE_INTERNAL_H
#define ICEGATE_DB_STORE_INTERNAL_H

#include "db/store.h"

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_ERROR_MAX       512
#define STORE_BUSY_TIMEOUT_MS 5000

/* One slot per statement in the cache. */
enum store_statement {
	STMT_DATA_VERSION,
	STMT_SETTING_GET,
	STMT_SETTING_SET,
	STMT_SETTING_INSERT_MISSING,
	STMT_USER_INSERT,
	STMT_USER_GET,
	STMT_USER_LIST,
	STMT_USER_DELETE,
	STMT_USER_SET_DISABLED,
	STMT_USER_SET_PASSWORD,
	STMT_USER_SET_ROLES,
	STMT_EVENT_APPEND,
	STMT_EVENT_LATEST,
	STMT_EVENTS_SINCE,
	STMT_REFRESH_INSERT,
	STMT_REFRESH_GET,
	STMT_REFRESH_MARK_USED,
	STMT_REFRESH_REVOKE_FAMILY,
	STMT_REFRESH_REVOKE_SUBJECT,
	STMT_REFRESH_PRUNE,
	STMT_SETTING_DELETE,
	STMT_TURN_SECRET_LIST,
	STMT_TURN_SECRET_INSERT,
	STMT_TURN_SECRET_DELETE,
	STMT_TURN_REVOKE_USERNAME,
	STMT_TURN_REVOKE_SUBJECT,
	STMT_TURN_IS_REVOKED,
	STMT_TURN_TTL,
	STMT_TURN_REVOCATIONS_LIST,
	STMT_TURN_PRUNE_USERNAMES,
	STMT_TURN_PRUNE_SUBJECTS,
	STMT_TURN_AUDIT_INSERT,
	STMT_TURN_AUDIT_PRUNE,
	STMT_APIKEY_INSERT,
	STMT_APIKEY_FIND,
	STMT_APIKEY_LIST,
	STMT_APIKEY_DELETE,
	STMT_COUNT
};

struct store {
	sqlite3 *db;                          /* owned */
	sqlite3_stmt *statements[STMT_COUNT]; /* owned; NULL until first use */
	int64_t data_version;                 /* last PRAGMA data_version seen */
	int savepoint_depth;                  /* inner write scopes open under store_begin */
	char error[STORE_ERROR_MAX];          /* last error, NUL-terminated */
};

/* Formats the store's error text. */
void store_set_error(struct store *store, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Sets the error to "<doing>: <explanation of SQLite result rc>", turning the
 * codes an operator can act on (locked, read-only, full, unopenable) into plain
 * words. Returns -1 so callers can `return store_fail(...)`. */
int store_fail(struct store *store, const char *doing, int rc);
/* Writes the plain-words explanation of SQLite result rc into out, with the
 * system error when there is one; db may be NULL. */
void store_describe(sqlite3 *db, int rc, char *out, size_t out_size);

/* The cached statement for slot, prepared from sql on first use; NULL with the
 * error set on failure. The statement comes back reset with no bindings, and
 * must be handed back with store_statement_done before the next use. */
sqlite3_stmt *store_statement(struct store *store, enum store_statement slot, const char *sql);
/* Resets a cached statement and clears its bindings, ending its read. */
void store_statement_done(sqlite3_stmt *statement);
/* Runs a bound write statement: 0 if it changed a row, 1 if it changed none,
 * -1 with the error set. */
int store_step_changes(struct store *store, sqlite3_stmt *statement, const char *doing);

/* Bind a parameter; on failure set the error and return -1. */
int store_bind_text(struct store *store, sqlite3_stmt *statement, int index, const char *value,
                    const char *doing);
int store_bind_int64(struct store *store, sqlite3_stmt *statement, int index, int64_t value,
                     const char *doing);
/* Copies a text column into out; a NULL column reads as "". Fails (-1, error
 * set) when the value does not fit, rather than truncating it. */
int store_copy_column(struct store *store, sqlite3_stmt *statement, int column, char *out,
                      size_t out_size, const char *what);

/*
 * Opens a write scope: a BEGIN IMMEDIATE transaction when none is running, or
 * a savepoint inside the caller's store_begin. store_write_end commits (or
 * releases) when ok is nonzero and rolls back otherwise; it returns 0, or -1 if
 * the commit failed (the scope is then rolled back). Both return -1 with the
 * error set on failure.
 */
int store_write_begin(struct store *store, const char *doing);
int store_write_end(struct store *store, int ok, const char *doing);

/* Runs constant SQL (transaction control, migrations). */
int store_exec(struct store *store, const char *sql, const char *doing);

/* Applies pending migrations; refuses a schema newer than this program. */
int store_migrate(struct store *store);
/* The highest schema version this program knows. */
int store_migrations_latest(void);

/* Revokes subject's TURN credentials as of now; part of the caller's write
 * scope (store_users.c uses it when deleting or disabling a user). */
int store_turn_revoke_subject_now(struct store *store, const char *subject, int64_t now);

#endif
