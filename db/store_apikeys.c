/*
 * store_apikeys.c: API keys for programs that call icegate's REST API. Only
 * the SHA-256 of a key is stored (the key itself is shown once, when it is
 * made), so a copy of the database does not hand out working keys; a lookup
 * is by hash, which the UNIQUE index answers without a scan. Key names follow
 * the user name rules because they show up in the same places.
 */
#include "db/store_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

static int store_apikey_hash_ok(const char *key_hash)
{
	if (!key_hash || strlen(key_hash) != STORE_APIKEY_HASH_MAX - 1)
		return 0;
	return strspn(key_hash, "0123456789abcdef") == STORE_APIKEY_HASH_MAX - 1;
}

int store_apikey_add(struct store *store, const char *name, const char *key_hash)
{
	static const char doing[] = "adding API key";
	char why[128];
	if (store_user_name_check(name, why, sizeof(why)) < 0) {
		store_set_error(store, "invalid API key name: %s", why);
		return -1;
	}
	if (!store_apikey_hash_ok(key_hash)) {
		store_set_error(store, "%s: the key hash is not 64 lowercase hex digits", doing);
		return -1;
	}
	sqlite3_stmt *statement = store_statement(
	    store, STMT_APIKEY_INSERT,
	    "INSERT INTO ig_api_keys (name, key_hash, created_at) VALUES (?1, ?2, ?3)");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, name, doing) == 0 &&
	    store_bind_text(store, statement, 2, key_hash, doing) == 0 &&
	    store_bind_int64(store, statement, 3, (int64_t)time(NULL), doing) == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE) {
			result = 0;
		} else if (rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
			store_set_error(store, "API key '%s' already exists", name);
			result = 1;
		} else {
			/* A hash collision (UNIQUE on key_hash) lands here: it means
			 * the same key twice, which fresh randomness never makes. */
			result = store_fail(store, doing, rc);
		}
	}
	store_statement_done(statement);
	return result;
}

int store_apikey_find(struct store *store, const char *key_hash, char *name_out)
{
	static const char doing[] = "looking up an API key";
	if (!store_apikey_hash_ok(key_hash))
		return 1;
	sqlite3_stmt *statement = store_statement(
	    store, STMT_APIKEY_FIND, "SELECT name FROM ig_api_keys WHERE key_hash = ?1");
	if (!statement)
		return -1;
	int result = store_bind_text(store, statement, 1, key_hash, doing);
	if (result == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW)
			result = store_copy_column(store, statement, 0, name_out, STORE_NAME_MAX,
			                           "an API key name");
		else if (rc == SQLITE_DONE)
			result = 1;
		else
			result = store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_apikey_list(struct store *store, void (*visit)(const struct store_apikey *key, void *arg),
                      void *arg)
{
	sqlite3_stmt *statement = store_statement(
	    store, STMT_APIKEY_LIST, "SELECT name, created_at FROM ig_api_keys ORDER BY name");
	if (!statement)
		return -1;
	int result = 0;
	for (;;) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			result = store_fail(store, "listing API keys", rc);
			break;
		}
		struct store_apikey key;
		memset(&key, 0, sizeof(key));
		if (store_copy_column(store, statement, 0, key.name, sizeof(key.name),
		                      "an API key name") < 0) {
			result = -1;
			break;
		}
		key.created_at = sqlite3_column_int64(statement, 1);
		visit(&key, arg);
	}
	store_statement_done(statement);
	return result;
}

int store_apikey_delete(struct store *store, const char *name)
{
	static const char doing[] = "deleting API key";
	sqlite3_stmt *statement =
	    store_statement(store, STMT_APIKEY_DELETE, "DELETE FROM ig_api_keys WHERE name = ?1");
	if (!statement)
		return -1;
	int result = store_bind_text(store, statement, 1, name, doing);
	if (result == 0)
		result = store_step_changes(store, statement, doing);
	store_statement_done(statement);
	if (result == 1)
		store_set_error(store, "no API key '%s'", name);
	return result;
}
