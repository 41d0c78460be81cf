/*
 * migrations.c: the schema, as an ordered list of steps, and the code that
 * brings a database file up to date at open.
 *
 * The schema version lives in PRAGMA user_version. Step i takes the file from
 * version i to i + 1 and sets user_version itself, so each step and its
 * version bump commit together in one transaction; a crash mid-way leaves the
 * file at a clean version. Steps are only ever appended: an edited step would
 * never run on files that already passed it. Every table is prefixed "ig_"
 * because coturn reads the same file and owns its own unprefixed tables.
 */
#include "db/store_internal.h"

struct migration {
	int version; /* the user_version after this step */
	const char *sql;
};

static const struct migration migrations[] = {
    {1, "CREATE TABLE ig_settings ("
        "  key TEXT PRIMARY KEY NOT NULL,"
        "  value TEXT NOT NULL"
        ");"
        "CREATE TABLE ig_users ("
        "  id INTEGER PRIMARY KEY,"
        "  name TEXT NOT NULL UNIQUE,"
        "  password_hash TEXT NOT NULL,"
        "  roles TEXT NOT NULL,"
        "  disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),"
        "  created_at INTEGER NOT NULL"
        ");"
        "CREATE TABLE ig_user_events ("
        "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        "  name TEXT NOT NULL,"
        "  kind INTEGER NOT NULL,"
        "  at INTEGER NOT NULL"
        ");"
        "CREATE TABLE ig_refresh_tokens ("
        "  token_hash TEXT PRIMARY KEY NOT NULL,"
        "  family TEXT NOT NULL,"
        "  subject TEXT NOT NULL,"
        "  roles TEXT NOT NULL,"
        "  room TEXT NOT NULL DEFAULT '',"
        "  issued_at INTEGER NOT NULL,"
        "  expires_at INTEGER NOT NULL,"
        "  used_at INTEGER,"
        "  revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1))"
        ");"
        "CREATE INDEX ig_refresh_tokens_family ON ig_refresh_tokens (family);"
        "CREATE INDEX ig_refresh_tokens_subject ON ig_refresh_tokens (subject);"
        "CREATE INDEX ig_refresh_tokens_expires ON ig_refresh_tokens (expires_at);"
        "PRAGMA user_version = 1;"},
    /* TURN. turn_secret is coturn's own table, in coturn's exact schema (so a
     * stock coturn schema script finds it in place); coturn reads it with
     * use-auth-secret, and the patched coturn also reads the two revocation
     * tables on every allocation. */
    {2, "CREATE TABLE IF NOT EXISTS turn_secret ("
        "  realm varchar(127) default '',"
        "  value varchar(256),"
        "  primary key (realm,value)"
        ");"
        "CREATE TABLE IF NOT EXISTS ig_turn_revoked_usernames ("
        "  username TEXT PRIMARY KEY,"
        "  revoked_at INTEGER NOT NULL"
        ");"
        "CREATE TABLE IF NOT EXISTS ig_turn_revoked_subjects ("
        "  subject TEXT PRIMARY KEY,"
        "  revoked_at INTEGER NOT NULL,"
        "  expiry_through INTEGER NOT NULL"
        ");"
        "CREATE TABLE ig_turn_credentials ("
        "  id INTEGER PRIMARY KEY,"
        "  subject TEXT NOT NULL,"
        "  username TEXT NOT NULL,"
        "  issued_at INTEGER NOT NULL,"
        "  expires_at INTEGER NOT NULL"
        ");"
        "CREATE INDEX ig_turn_credentials_subject ON ig_turn_credentials (subject);"
        "CREATE INDEX ig_turn_credentials_issued ON ig_turn_credentials (issued_at);"
        "CREATE TABLE ig_api_keys ("
        "  name TEXT PRIMARY KEY NOT NULL,"
        "  key_hash TEXT UNIQUE NOT NULL,"
        "  created_at INTEGER NOT NULL"
        ");"
        "PRAGMA user_version = 2;"},
};

#define MIGRATION_COUNT ((int)(sizeof(migrations) / sizeof(migrations[0])))

int store_migrations_latest(void)
{
	return migrations[MIGRATION_COUNT - 1].version;
}

/* Applies one step, unless another process applied it since we looked: the
 * version is re-read under the write lock, so two processes starting at once
 * never run a step twice. */
static int store_apply(struct store *store, const struct migration *step)
{
	if (store_write_begin(store, "migrating the schema") < 0)
		return -1;
	int current = store_schema_version(store);
	int ok = current >= 0;
	if (ok && current == step->version - 1) {
		ok = store_exec(store, step->sql, "migrating the schema") == 0;
		if (ok && store_schema_version(store) != step->version) {
			store_set_error(store,
			                "migrating the schema: step %d did not reach version %d",
			                step->version, step->version);
			ok = 0;
		}
	}
	return store_write_end(store, ok, "migrating the schema");
}

int store_migrate(struct store *store)
{
	int current = store_schema_version(store);
	if (current < 0)
		return -1;
	int latest = store_migrations_latest();
	if (current > latest) {
		store_set_error(store,
		                "schema version %d is newer than this program supports (%d): "
		                "upgrade icegate before using this database",
		                current, latest);
		return -1;
	}
	for (int i = 0; i < MIGRATION_COUNT; i++) {
		if (migrations[i].version <= current)
			continue;
		if (store_apply(store, &migrations[i]) < 0)
			return -1;
	}
	return 0;
}
