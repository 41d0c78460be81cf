/*
 * store_refresh.c: refresh tokens, stored only as SHA-256 hashes so a copy of
 * the database cannot be replayed as logins. Rotation is single use: marking
 * a token used is one conditional UPDATE, so of two concurrent refreshes of
 * the same token exactly one wins and the other is seen as a replay. These
 * statements run on every refresh, so they stay in the statement cache.
 */
#include "db/store_internal.h"

#include <string.h>

/* Refuses a value that would not fit its field in struct store_refresh. */
static int store_refresh_check(struct store *store, const char *value, size_t size,
                               const char *what, int may_be_empty)
{
	if (!may_be_empty && !*value) {
		store_set_error(store, "storing refresh token: %s is empty", what);
		return -1;
	}
	if (strnlen(value, size) >= size) {
		store_set_error(store, "storing refresh token: %s is longer than %zu bytes", what,
		                size - 1);
		return -1;
	}
	return 0;
}

int store_refresh_insert(struct store *store, const struct store_refresh *token)
{
	static const char doing[] = "storing refresh token";
	if (store_refresh_check(store, token->token_hash, sizeof(token->token_hash), "hash", 0) <
	        0 ||
	    store_refresh_check(store, token->family, sizeof(token->family), "family", 0) < 0 ||
	    store_refresh_check(store, token->subject, sizeof(token->subject), "subject", 0) < 0 ||
	    store_refresh_check(store, token->roles, sizeof(token->roles), "roles", 0) < 0 ||
	    store_refresh_check(store, token->room, sizeof(token->room), "room", 1) < 0)
		return -1;
	sqlite3_stmt *statement = store_statement(
	    store, STMT_REFRESH_INSERT,
	    "INSERT INTO ig_refresh_tokens (token_hash, family, subject, roles, room, issued_at, "
	    "expires_at, used_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, NULL, ?8)");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, token->token_hash, doing) == 0 &&
	    store_bind_text(store, statement, 2, token->family, doing) == 0 &&
	    store_bind_text(store, statement, 3, token->subject, doing) == 0 &&
	    store_bind_text(store, statement, 4, token->roles, doing) == 0 &&
	    store_bind_text(store, statement, 5, token->room, doing) == 0 &&
	    store_bind_int64(store, statement, 6, token->issued_at, doing) == 0 &&
	    store_bind_int64(store, statement, 7, token->expires_at, doing) == 0 &&
	    store_bind_int64(store, statement, 8, token->revoked != 0, doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_refresh_get(struct store *store, const char *token_hash, struct store_refresh *out)
{
	static const char doing[] = "reading refresh token";
	sqlite3_stmt *statement = store_statement(
	    store, STMT_REFRESH_GET,
	    "SELECT token_hash, family, subject, roles, room, issued_at, expires_at, "
	    "used_at IS NOT NULL, revoked FROM ig_refresh_tokens WHERE token_hash = ?1");
	if (!statement)
		return -1;
	int result = store_bind_text(store, statement, 1, token_hash, doing);
	if (result == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE) {
			result = 1;
		} else if (rc != SQLITE_ROW) {
			result = store_fail(store, doing, rc);
		} else {
			memset(out, 0, sizeof(*out));
			if (store_copy_column(store, statement, 0, out->token_hash,
			                      sizeof(out->token_hash), "a token hash") < 0 ||
			    store_copy_column(store, statement, 1, out->family, sizeof(out->family),
			                      "a token family") < 0 ||
			    store_copy_column(store, statement, 2, out->subject,
			                      sizeof(out->subject), "a token subject") < 0 ||
			    store_copy_column(store, statement, 3, out->roles, sizeof(out->roles),
			                      "token roles") < 0 ||
			    store_copy_column(store, statement, 4, out->room, sizeof(out->room),
			                      "a token room") < 0) {
				result = -1;
			} else {
				out->issued_at = sqlite3_column_int64(statement, 5);
				out->expires_at = sqlite3_column_int64(statement, 6);
				out->used = sqlite3_column_int(statement, 7) != 0;
				out->revoked = sqlite3_column_int(statement, 8) != 0;
			}
		}
	}
	store_statement_done(statement);
	return result;
}

/* Runs a cached UPDATE or DELETE keyed by one text and/or one integer;
 * returns the number of rows changed, or -1. */
static int store_refresh_update(struct store *store, enum store_statement slot, const char *sql,
                                const char *text, int64_t number, const char *doing)
{
	sqlite3_stmt *statement = store_statement(store, slot, sql);
	if (!statement)
		return -1;
	int result = -1;
	int bound = text ? store_bind_text(store, statement, 1, text, doing) == 0 : 1;
	if (bound && sqlite3_bind_parameter_count(statement) >= 2)
		bound = store_bind_int64(store, statement, 2, number, doing) == 0;
	if (bound) {
		int rc = sqlite3_step(statement);
		result =
		    rc == SQLITE_DONE ? sqlite3_changes(store->db) : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_refresh_mark_used(struct store *store, const char *token_hash, int64_t now)
{
	int changed =
	    store_refresh_update(store, STMT_REFRESH_MARK_USED,
	                         "UPDATE ig_refresh_tokens SET used_at = ?2 "
	                         "WHERE token_hash = ?1 AND used_at IS NULL AND revoked = 0",
	                         token_hash, now, "marking refresh token used");
	if (changed < 0)
		return -1;
	return changed == 1 ? 0 : 1;
}

int store_refresh_revoke_family(struct store *store, const char *family)
{
	int changed = store_refresh_update(
	    store, STMT_REFRESH_REVOKE_FAMILY,
	    "UPDATE ig_refresh_tokens SET revoked = 1 WHERE family = ?1 AND revoked = 0", family, 0,
	    "revoking a token family");
	return changed < 0 ? -1 : 0;
}

int store_refresh_revoke_subject(struct store *store, const char *subject)
{
	int changed = store_refresh_update(
	    store, STMT_REFRESH_REVOKE_SUBJECT,
	    "UPDATE ig_refresh_tokens SET revoked = 1 WHERE subject = ?1 AND revoked = 0", subject,
	    0, "revoking a user's tokens");
	return changed < 0 ? -1 : 0;
}

int store_refresh_prune(struct store *store, int64_t now)
{
	/* The parameter is ?2 so the shared helper binds it as the number. */
	return store_refresh_update(store, STMT_REFRESH_PRUNE,
	                            "DELETE FROM ig_refresh_tokens WHERE expires_at < ?2", NULL,
	                            now, "pruning expired refresh tokens");
}
