/*
 * store_turn.c: the TURN shared secrets in coturn's own turn_secret table, and
 * the credential audit trail. coturn (run with use-auth-secret) checks every
 * TURN password against each secret of its realm in turn_secret, so replacing
 * the set must be atomic: a coturn reading between a delete and an insert
 * would refuse live calls. The audit is written in batches by the daemon, one
 * transaction per batch, so no request waits on a disk write.
 */
#include "db/store_internal.h"

#include <stdlib.h>
#include <string.h>

#define AUDIT_KEEP_SECONDS ((int64_t)STORE_TURN_AUDIT_DAYS * 86400)

static int store_turn_check_text(struct store *store, const char *value, size_t size,
                                 const char *what, const char *doing)
{
	if (!value || !*value) {
		store_set_error(store, "%s: %s is empty", doing, what);
		return -1;
	}
	if (strnlen(value, size) >= size) {
		store_set_error(store, "%s: %s is longer than %zu bytes", doing, what, size - 1);
		return -1;
	}
	return 0;
}

/* Copies realm's current values into a malloc'ed array (*out, *count). */
static int store_turn_secrets_read(struct store *store, const char *realm, char ***out,
                                   size_t *count, const char *doing)
{
	*out = NULL;
	*count = 0;
	sqlite3_stmt *statement =
	    store_statement(store, STMT_TURN_SECRET_LIST,
	                    "SELECT value FROM turn_secret WHERE realm = ?1 ORDER BY value");
	if (!statement)
		return -1;
	int result = store_bind_text(store, statement, 1, realm, doing);
	size_t capacity = 0;
	while (result == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			result = store_fail(store, doing, rc);
			break;
		}
		const char *value = (const char *)sqlite3_column_text(statement, 0);
		if (*count == capacity) {
			capacity = capacity ? capacity * 2 : 8;
			char **grown = realloc(*out, capacity * sizeof(*grown));
			if (!grown) {
				store_set_error(store, "%s: out of memory", doing);
				result = -1;
				break;
			}
			*out = grown;
		}
		/* coturn's schema allows a NULL value; it matches nothing. */
		(*out)[*count] = strdup(value ? value : "");
		if (!(*out)[*count]) {
			store_set_error(store, "%s: out of memory", doing);
			result = -1;
			break;
		}
		(*count)++;
	}
	store_statement_done(statement);
	return result;
}

static void store_turn_secrets_free(char **values, size_t count)
{
	for (size_t i = 0; i < count; i++) {
		/* These are live TURN secrets. */
		explicit_bzero(values[i], strlen(values[i]));
		free(values[i]);
	}
	free(values);
}

static int store_turn_secret_write(struct store *store, enum store_statement slot, const char *sql,
                                   const char *realm, const char *value, const char *doing)
{
	sqlite3_stmt *statement = store_statement(store, slot, sql);
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, realm, doing) == 0 &&
	    store_bind_text(store, statement, 2, value, doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

static int store_turn_contains(const char *const *values, size_t count, const char *value)
{
	for (size_t i = 0; i < count; i++) {
		if (strcmp(values[i], value) == 0)
			return 1;
	}
	return 0;
}

int store_turn_secrets_replace(struct store *store, const char *realm, const char *const *values,
                               size_t count)
{
	static const char doing[] = "replacing TURN secrets";
	if (!realm || strnlen(realm, STORE_TURN_REALM_MAX) >= STORE_TURN_REALM_MAX) {
		store_set_error(store, "%s: the realm is longer than %d bytes", doing,
		                STORE_TURN_REALM_MAX - 1);
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (store_turn_check_text(store, values[i], STORE_TURN_SECRET_MAX, "a secret",
		                          doing) < 0)
			return -1;
	}
	if (store_write_begin(store, doing) < 0)
		return -1;
	char **existing = NULL;
	size_t existing_count = 0;
	int ok = store_turn_secrets_read(store, realm, &existing, &existing_count, doing) == 0;
	for (size_t i = 0; ok && i < existing_count; i++) {
		if (!store_turn_contains(values, count, existing[i]))
			ok = store_turn_secret_write(
			         store, STMT_TURN_SECRET_DELETE,
			         "DELETE FROM turn_secret WHERE realm = ?1 AND value = ?2", realm,
			         existing[i], doing) == 0;
	}
	for (size_t i = 0; ok && i < count; i++) {
		if (!store_turn_contains((const char *const *)existing, existing_count, values[i]))
			ok = store_turn_secret_write(
			         store, STMT_TURN_SECRET_INSERT,
			         "INSERT INTO turn_secret (realm, value) VALUES (?1, ?2) "
			         "ON CONFLICT DO NOTHING",
			         realm, values[i], doing) == 0;
	}
	store_turn_secrets_free(existing, existing_count);
	return store_write_end(store, ok, doing);
}

int store_turn_secrets_list(struct store *store, const char *realm,
                            void (*visit)(const char *value, void *arg), void *arg)
{
	char **values = NULL;
	size_t count = 0;
	if (store_turn_secrets_read(store, realm, &values, &count, "listing TURN secrets") < 0) {
		store_turn_secrets_free(values, count);
		return -1;
	}
	for (size_t i = 0; i < count; i++)
		visit(values[i], arg);
	store_turn_secrets_free(values, count);
	return 0;
}

static int store_turn_audit_insert_one(struct store *store, const struct store_turn_audit *record,
                                       const char *doing)
{
	if (store_turn_check_text(store, record->subject, sizeof(record->subject), "a subject",
	                          doing) < 0 ||
	    store_turn_check_text(store, record->username, sizeof(record->username), "a username",
	                          doing) < 0)
		return -1;
	sqlite3_stmt *statement =
	    store_statement(store, STMT_TURN_AUDIT_INSERT,
	                    "INSERT INTO ig_turn_credentials (subject, username, issued_at, "
	                    "expires_at) VALUES (?1, ?2, ?3, ?4)");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, record->subject, doing) == 0 &&
	    store_bind_text(store, statement, 2, record->username, doing) == 0 &&
	    store_bind_int64(store, statement, 3, record->issued_at, doing) == 0 &&
	    store_bind_int64(store, statement, 4, record->expires_at, doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_turn_audit_insert(struct store *store, const struct store_turn_audit *records,
                            size_t count)
{
	static const char doing[] = "recording issued TURN credentials";
	if (count == 0)
		return 0;
	if (store_write_begin(store, doing) < 0)
		return -1;
	int ok = 1;
	for (size_t i = 0; ok && i < count; i++)
		ok = store_turn_audit_insert_one(store, &records[i], doing) == 0;
	return store_write_end(store, ok, doing);
}

int store_turn_audit_prune(struct store *store, int64_t now)
{
	static const char doing[] = "pruning the TURN credential audit";
	sqlite3_stmt *statement = store_statement(
	    store, STMT_TURN_AUDIT_PRUNE, "DELETE FROM ig_turn_credentials WHERE issued_at < ?1");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_int64(store, statement, 1, now - AUDIT_KEEP_SECONDS, doing) == 0) {
		int rc = sqlite3_step(statement);
		result =
		    rc == SQLITE_DONE ? sqlite3_changes(store->db) : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}
