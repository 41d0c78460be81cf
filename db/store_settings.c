/*
 * store_settings.c: small named values kept in the database, chiefly the JWT
 * secret generated on first start. store_setting_init lets two processes that
 * start together race safely: the first insert wins and both read it back.
 */
#include "db/store_internal.h"

#include <string.h>

int store_setting_get(struct store *store, const char *key, char *value, size_t value_size)
{
	static const char doing[] = "reading a setting";
	sqlite3_stmt *statement = store_statement(store, STMT_SETTING_GET,
	                                          "SELECT value FROM ig_settings WHERE key = ?1");
	if (!statement)
		return -1;
	if (store_bind_text(store, statement, 1, key, doing) < 0) {
		store_statement_done(statement);
		return -1;
	}
	int result;
	int rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		result = store_copy_column(store, statement, 0, value, value_size, "a setting");
	else if (rc == SQLITE_DONE)
		result = 1;
	else
		result = store_fail(store, doing, rc);
	store_statement_done(statement);
	return result;
}

int store_setting_set(struct store *store, const char *key, const char *value)
{
	static const char doing[] = "writing a setting";
	sqlite3_stmt *statement =
	    store_statement(store, STMT_SETTING_SET,
	                    "INSERT INTO ig_settings (key, value) VALUES (?1, ?2) "
	                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, key, doing) == 0 &&
	    store_bind_text(store, statement, 2, value, doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_setting_init(struct store *store, const char *key, const char *value, char *out,
                       size_t out_size)
{
	static const char doing[] = "initialising a setting";
	sqlite3_stmt *statement = store_statement(
	    store, STMT_SETTING_INSERT_MISSING,
	    "INSERT INTO ig_settings (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO NOTHING");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, key, doing) == 0 &&
	    store_bind_text(store, statement, 2, value, doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	if (result < 0)
		return -1;
	/* Read back whichever value won, ours or an earlier one. */
	int found = store_setting_get(store, key, out, out_size);
	if (found == 1) {
		store_set_error(store, "%s: the value vanished after it was written", doing);
		return -1;
	}
	return found;
}

int store_setting_delete(struct store *store, const char *key)
{
	static const char doing[] = "deleting a setting";
	sqlite3_stmt *statement =
	    store_statement(store, STMT_SETTING_DELETE, "DELETE FROM ig_settings WHERE key = ?1");
	if (!statement)
		return -1;
	int result = store_bind_text(store, statement, 1, key, doing);
	if (result == 0)
		result = store_step_changes(store, statement, doing);
	store_statement_done(statement);
	return result;
}
