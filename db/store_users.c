/*
 * store_users.c: user accounts. Every change that should end a user's running
 * sessions (delete, disable, enable, new password) also records a user event,
 * and every change that makes the user's refresh tokens stale (delete,
 * disable, new password, new roles) revokes them; deleting and disabling also
 * revoke the user's TURN credentials. All of it happens in the same
 * transaction as the change itself: a daemon polling the events can never see
 * one half.
 */
#include "db/store_internal.h"

#include <string.h>
#include <time.h>

/* Refuses a text value that is empty or would not fit its field when read
 * back into a struct store_user. */
static int store_check_field(struct store *store, const char *value, size_t size, const char *what)
{
	if (!value || !*value) {
		store_set_error(store, "%s is empty", what);
		return -1;
	}
	if (strlen(value) >= size) {
		store_set_error(store, "%s is longer than %zu bytes", what, size - 1);
		return -1;
	}
	return 0;
}

int store_user_add(struct store *store, const char *name, const char *password_hash,
                   const char *roles)
{
	static const char doing[] = "adding user";
	char why[128];
	if (store_user_name_check(name, why, sizeof(why)) < 0) {
		store_set_error(store, "invalid user name: %s", why);
		return -1;
	}
	if (store_check_field(store, password_hash, STORE_HASH_MAX, "password hash") < 0 ||
	    store_check_field(store, roles, STORE_ROLES_MAX, "roles") < 0)
		return -1;

	sqlite3_stmt *statement = store_statement(
	    store, STMT_USER_INSERT,
	    "INSERT INTO ig_users (name, password_hash, roles, disabled, created_at) "
	    "VALUES (?1, ?2, ?3, 0, ?4)");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, name, doing) == 0 &&
	    store_bind_text(store, statement, 2, password_hash, doing) == 0 &&
	    store_bind_text(store, statement, 3, roles, doing) == 0 &&
	    store_bind_int64(store, statement, 4, (int64_t)time(NULL), doing) == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE) {
			result = 0;
		} else if (rc == SQLITE_CONSTRAINT_UNIQUE) {
			store_set_error(store, "user '%s' already exists", name);
			result = 1;
		} else {
			result = store_fail(store, doing, rc);
		}
	}
	store_statement_done(statement);
	return result;
}

static int store_user_from_row(struct store *store, sqlite3_stmt *statement, struct store_user *out)
{
	memset(out, 0, sizeof(*out));
	out->id = sqlite3_column_int64(statement, 0);
	if (store_copy_column(store, statement, 1, out->name, sizeof(out->name), "a user name") <
	        0 ||
	    store_copy_column(store, statement, 2, out->password_hash, sizeof(out->password_hash),
	                      "a password hash") < 0 ||
	    store_copy_column(store, statement, 3, out->roles, sizeof(out->roles), "user roles") <
	        0)
		return -1;
	out->disabled = sqlite3_column_int(statement, 4) != 0;
	out->created_at = sqlite3_column_int64(statement, 5);
	return 0;
}

int store_user_get(struct store *store, const char *name, struct store_user *out)
{
	static const char doing[] = "reading user";
	sqlite3_stmt *statement = store_statement(
	    store, STMT_USER_GET,
	    "SELECT id, name, password_hash, roles, disabled, created_at FROM ig_users "
	    "WHERE name = ?1");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, name, doing) == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_ROW)
			result = store_user_from_row(store, statement, out);
		else if (rc == SQLITE_DONE)
			result = 1;
		else
			result = store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_user_list(struct store *store, void (*visit)(const struct store_user *user, void *arg),
                    void *arg)
{
	sqlite3_stmt *statement = store_statement(
	    store, STMT_USER_LIST,
	    "SELECT id, name, password_hash, roles, disabled, created_at FROM ig_users "
	    "ORDER BY name");
	if (!statement)
		return -1;
	int result = 0;
	for (;;) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			result = store_fail(store, "listing users", rc);
			break;
		}
		struct store_user user;
		if (store_user_from_row(store, statement, &user) < 0) {
			result = -1;
			break;
		}
		visit(&user, arg);
	}
	store_statement_done(statement);
	return result;
}

/* Runs an UPDATE or DELETE on ig_users keyed by name (?1), with ?2, when the
 * statement has one, bound to text or else to number; returns 0 if a row
 * matched, 1 if none, -1 on error. */
static int store_user_modify(struct store *store, enum store_statement slot, const char *sql,
                             const char *name, const char *text, int number, const char *doing)
{
	sqlite3_stmt *statement = store_statement(store, slot, sql);
	if (!statement)
		return -1;
	int result = -1;
	int bound = store_bind_text(store, statement, 1, name, doing) == 0;
	if (bound && sqlite3_bind_parameter_count(statement) >= 2)
		bound = (text ? store_bind_text(store, statement, 2, text, doing)
		              : store_bind_int64(store, statement, 2, number, doing)) == 0;
	if (bound)
		result = store_step_changes(store, statement, doing);
	store_statement_done(statement);
	return result;
}

/* What a user change takes back, besides the change itself. */
enum { REVOKE_REFRESH = 1, REVOKE_TURN = 2 };

/*
 * The shape shared by every user change: in one write scope, modify the row,
 * then revoke what the change calls for (REVOKE_* bits) and record its event
 * (a STORE_USER_* kind, or 0 for none). Returns 0, 1 if the user does not
 * exist, -1 on error.
 */
static int store_user_change(struct store *store, enum store_statement slot, const char *sql,
                             const char *name, const char *text, int number, int revoke, int event,
                             const char *doing)
{
	if (store_write_begin(store, doing) < 0)
		return -1;
	int result = store_user_modify(store, slot, sql, name, text, number, doing);
	if (result == 0 && (revoke & REVOKE_REFRESH) &&
	    store_refresh_revoke_subject(store, name) < 0)
		result = -1;
	if (result == 0 && (revoke & REVOKE_TURN) &&
	    store_turn_revoke_subject_now(store, name, (int64_t)time(NULL)) < 0)
		result = -1;
	if (result == 0 && event &&
	    store_user_event_append(store, name, (enum store_user_event)event) < 0)
		result = -1;
	if (result != 0) {
		store_write_end(store, 0, doing);
		if (result == 1)
			store_set_error(store, "no user '%s'", name);
		return result;
	}
	return store_write_end(store, 1, doing);
}

int store_user_delete(struct store *store, const char *name)
{
	return store_user_change(store, STMT_USER_DELETE, "DELETE FROM ig_users WHERE name = ?1",
	                         name, NULL, 0, REVOKE_REFRESH | REVOKE_TURN, STORE_USER_DELETED,
	                         "deleting user");
}

int store_user_set_disabled(struct store *store, const char *name, int disabled)
{
	disabled = disabled != 0;
	return store_user_change(store, STMT_USER_SET_DISABLED,
	                         "UPDATE ig_users SET disabled = ?2 WHERE name = ?1", name, NULL,
	                         disabled, disabled ? REVOKE_REFRESH | REVOKE_TURN : 0,
	                         disabled ? STORE_USER_DISABLED : STORE_USER_ENABLED,
	                         disabled ? "disabling user" : "enabling user");
}

int store_user_set_password(struct store *store, const char *name, const char *password_hash)
{
	if (store_check_field(store, password_hash, STORE_HASH_MAX, "password hash") < 0)
		return -1;
	/* A new password is how an owner locks out whoever learned the old one,
	 * so the sessions that login started end too. */
	return store_user_change(store, STMT_USER_SET_PASSWORD,
	                         "UPDATE ig_users SET password_hash = ?2 WHERE name = ?1", name,
	                         password_hash, 0, REVOKE_REFRESH, STORE_USER_PASSWORD_CHANGED,
	                         "changing password");
}

int store_user_set_roles(struct store *store, const char *name, const char *roles)
{
	if (store_check_field(store, roles, STORE_ROLES_MAX, "roles") < 0)
		return -1;
	/* Refresh tokens carry the roles granted at login; revoking them makes the
	 * new roles take effect at the next login instead of at the token's end. */
	return store_user_change(store, STMT_USER_SET_ROLES,
	                         "UPDATE ig_users SET roles = ?2 WHERE name = ?1", name, roles, 0,
	                         REVOKE_REFRESH, 0, "changing roles");
}
