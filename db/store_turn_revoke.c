/*
 * store_turn_revoke.c: refusing TURN credentials before they expire. A TURN
 * credential is a signed "EXPIRY:SUBJECT" that coturn checks by itself, so the
 * only way to take one back is a record the patched coturn consults on each
 * allocation: one username, or every credential of a subject up to an expiry.
 * Revoking a subject at time T covers EXPIRY <= T + the longest lifetime in
 * force, which is every credential issued before T and none issued after it,
 * so a user who is re-enabled gets working credentials again.
 */
#include "db/store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EXPIRY_DIGITS_MAX 19 /* fits an int64_t */

int store_turn_username_check(const char *username, char *why, size_t why_size)
{
	size_t length = strlen(username);
	if (length >= STORE_TURN_USERNAME_MAX) {
		snprintf(why, why_size, "longer than %d bytes", STORE_TURN_USERNAME_MAX - 1);
		return -1;
	}
	const char *colon = strchr(username, ':');
	size_t digits = colon ? (size_t)(colon - username) : 0;
	if (!colon || digits == 0 || digits > EXPIRY_DIGITS_MAX ||
	    strspn(username, "0123456789") != digits) {
		snprintf(why, why_size, "expected EXPIRY:SUBJECT with EXPIRY in unix seconds");
		return -1;
	}
	if (colon[1] == '\0') {
		snprintf(why, why_size, "the subject after ':' is empty");
		return -1;
	}
	for (const unsigned char *c = (const unsigned char *)colon + 1; *c; c++) {
		if (*c < 0x20 || *c == 0x7f) {
			snprintf(why, why_size, "the subject contains a control character");
			return -1;
		}
	}
	return 0;
}

/* Splits a checked username into its expiry and the subject's start. */
static int64_t store_turn_username_expiry(const char *username, const char **subject)
{
	const char *colon = strchr(username, ':');
	*subject = colon + 1;
	return (int64_t)strtoll(username, NULL, 10);
}

int store_turn_revoke_username(struct store *store, const char *username, int64_t now)
{
	static const char doing[] = "revoking a TURN username";
	char why[96];
	if (store_turn_username_check(username, why, sizeof(why)) < 0) {
		store_set_error(store, "invalid TURN username: %s", why);
		return -1;
	}
	sqlite3_stmt *statement = store_statement(
	    store, STMT_TURN_REVOKE_USERNAME,
	    "INSERT INTO ig_turn_revoked_usernames (username, revoked_at) VALUES (?1, ?2) "
	    "ON CONFLICT (username) DO NOTHING");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, username, doing) == 0 &&
	    store_bind_int64(store, statement, 2, now, doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_turn_revoke_subject(struct store *store, const char *subject, int64_t now,
                              int64_t expiry_through)
{
	static const char doing[] = "revoking TURN credentials";
	if (!subject || !*subject || strlen(subject) >= STORE_TURN_USERNAME_MAX) {
		store_set_error(store, "%s: the subject is empty or too long", doing);
		return -1;
	}
	/* MAX: a revocation covering less (a shorter lifetime since) must not
	 * reopen credentials an earlier one refused. */
	sqlite3_stmt *statement = store_statement(
	    store, STMT_TURN_REVOKE_SUBJECT,
	    "INSERT INTO ig_turn_revoked_subjects (subject, revoked_at, expiry_through) "
	    "VALUES (?1, ?2, ?3) ON CONFLICT (subject) DO UPDATE SET "
	    "revoked_at = excluded.revoked_at, "
	    "expiry_through = MAX(expiry_through, excluded.expiry_through)");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, subject, doing) == 0 &&
	    store_bind_int64(store, statement, 2, now, doing) == 0 &&
	    store_bind_int64(store, statement, 3, expiry_through, doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_turn_credential_ttl(struct store *store, int *ttl)
{
	static const char doing[] = "reading the TURN credential lifetime";
	sqlite3_stmt *statement =
	    store_statement(store, STMT_TURN_TTL, "SELECT value FROM ig_settings WHERE key = ?1");
	if (!statement)
		return -1;
	if (store_bind_text(store, statement, 1, STORE_TURN_TTL_SETTING, doing) < 0) {
		store_statement_done(statement);
		return -1;
	}
	int result = 0;
	int rc = sqlite3_step(statement);
	if (rc == SQLITE_DONE) {
		*ttl = STORE_TURN_TTL_DEFAULT;
	} else if (rc == SQLITE_ROW) {
		const char *text = (const char *)sqlite3_column_text(statement, 0);
		char *end = NULL;
		long value = text ? strtol(text, &end, 10) : 0;
		/* An unreadable value must not shorten a revocation: assume the
		 * longest lifetime a credential can have. */
		if (!text || end == text || *end != '\0' || value < 1 || value > STORE_TURN_TTL_MAX)
			value = STORE_TURN_TTL_MAX;
		*ttl = (int)value;
	} else {
		result = store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_turn_revoke_subject_now(struct store *store, const char *subject, int64_t now)
{
	int ttl = 0;
	if (store_turn_credential_ttl(store, &ttl) < 0)
		return -1;
	return store_turn_revoke_subject(store, subject, now, now + ttl);
}

int store_turn_revoke_user(struct store *store, const char *name, int64_t now)
{
	static const char doing[] = "revoking a user's TURN credentials";
	if (store_write_begin(store, doing) < 0)
		return -1;
	struct store_user user;
	int result = store_user_get(store, name, &user);
	explicit_bzero(user.password_hash, sizeof(user.password_hash));
	if (result == 0 && (store_turn_revoke_subject_now(store, name, now) < 0 ||
	                    store_user_event_append(store, name, STORE_USER_TURN_REVOKED) < 0))
		result = -1;
	if (result != 0) {
		store_write_end(store, 0, doing);
		if (result == 1)
			store_set_error(store, "no user '%s'", name);
		return result;
	}
	return store_write_end(store, 1, doing);
}

int store_turn_is_revoked(struct store *store, const char *username)
{
	static const char doing[] = "checking a TURN revocation";
	char why[96];
	if (store_turn_username_check(username, why, sizeof(why)) < 0) {
		store_set_error(store, "invalid TURN username: %s", why);
		return -1;
	}
	const char *subject = NULL;
	int64_t expiry = store_turn_username_expiry(username, &subject);
	sqlite3_stmt *statement = store_statement(
	    store, STMT_TURN_IS_REVOKED,
	    "SELECT EXISTS (SELECT 1 FROM ig_turn_revoked_usernames WHERE username = ?1) OR "
	    "EXISTS (SELECT 1 FROM ig_turn_revoked_subjects WHERE subject = ?2 AND "
	    "expiry_through >= ?3)");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, username, doing) == 0 &&
	    store_bind_text(store, statement, 2, subject, doing) == 0 &&
	    store_bind_int64(store, statement, 3, expiry, doing) == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW)
			result = sqlite3_column_int(statement, 0) != 0;
		else
			store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_turn_revocations_list(struct store *store,
                                void (*visit)(const struct store_turn_revocation *revocation,
                                              void *arg),
                                void *arg)
{
	static const char doing[] = "listing TURN revocations";
	sqlite3_stmt *statement = store_statement(
	    store, STMT_TURN_REVOCATIONS_LIST,
	    "SELECT 1, subject, revoked_at, expiry_through FROM ig_turn_revoked_subjects "
	    "UNION ALL SELECT 0, username, revoked_at, 0 FROM ig_turn_revoked_usernames "
	    "ORDER BY 1 DESC, 2");
	if (!statement)
		return -1;
	int result = 0;
	for (;;) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			result = store_fail(store, doing, rc);
			break;
		}
		struct store_turn_revocation revocation;
		memset(&revocation, 0, sizeof(revocation));
		revocation.is_subject = sqlite3_column_int(statement, 0) != 0;
		if (store_copy_column(store, statement, 1, revocation.name, sizeof(revocation.name),
		                      "a TURN revocation") < 0) {
			result = -1;
			break;
		}
		revocation.revoked_at = sqlite3_column_int64(statement, 2);
		revocation.expiry_through = sqlite3_column_int64(statement, 3);
		visit(&revocation, arg);
	}
	store_statement_done(statement);
	return result;
}

static int store_turn_prune(struct store *store, enum store_statement slot, const char *sql,
                            int64_t now, const char *doing)
{
	sqlite3_stmt *statement = store_statement(store, slot, sql);
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_int64(store, statement, 1, now, doing) == 0) {
		int rc = sqlite3_step(statement);
		result =
		    rc == SQLITE_DONE ? sqlite3_changes(store->db) : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_turn_revocations_prune(struct store *store, int64_t now)
{
	static const char doing[] = "pruning TURN revocations";
	if (store_write_begin(store, doing) < 0)
		return -1;
	/* A username's EXPIRY is the digits before its first ':'. */
	int usernames =
	    store_turn_prune(store, STMT_TURN_PRUNE_USERNAMES,
	                     "DELETE FROM ig_turn_revoked_usernames WHERE "
	                     "CAST(substr(username, 1, instr(username, ':') - 1) AS INTEGER) < ?1",
	                     now, doing);
	int subjects = usernames < 0 ? -1
	                             : store_turn_prune(store, STMT_TURN_PRUNE_SUBJECTS,
	                                                "DELETE FROM ig_turn_revoked_subjects "
	                                                "WHERE expiry_through < ?1",
	                                                now, doing);
	if (store_write_end(store, subjects >= 0, doing) < 0)
		return -1;
	return usernames + subjects;
}
