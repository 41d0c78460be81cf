/*
 * store.h: icegate's persistent state in one SQLite file, and the only module
 * that holds SQL.
 *
 * The file is shared: the daemon, icegatectl and (later) the patched coturn open
 * it at once, so it runs in WAL mode with a busy timeout, and every icegate
 * table is prefixed "ig_" to stay clear of coturn's own tables. The one
 * exception is coturn's turn_secret, created here in coturn's schema because
 * icegate fills it with the TURN shared secrets coturn checks passwords with.
 * The schema is versioned (PRAGMA user_version) and migrations run in
 * store_open. Every function returns 0 on success and -1 on failure with a
 * message in the store's error buffer (store_error); "not found" is 1 where a
 * lookup can miss. A store handle belongs to one thread.
 */
#ifndef ICEGATE_DB_STORE_H
#define ICEGATE_DB_STORE_H

#include <stddef.h>
#include <stdint.h>

struct store;

#define STORE_NAME_MAX    65  /* user name bytes + NUL */
#define STORE_SUBJECT_MAX 128 /* token subject + NUL */
#define STORE_ROOM_MAX    128 /* room name + NUL */
#define STORE_HASH_MAX    256 /* encoded argon2id hash + NUL */
#define STORE_ROLES_MAX   32  /* "sender,receiver" + NUL */

/* Opens (creating if needed) and migrates. On failure returns NULL and
 * writes the reason into err. */
struct store *store_open(const char *path, char *err, size_t err_size);
void store_close(struct store *store);
/* The last error's text, for the caller to show or log. */
const char *store_error(const struct store *store);
/* Schema version after migrations. */
int store_schema_version(struct store *store);
/* 0 if a write transaction succeeds right now (readiness probes). */
int store_check_writable(struct store *store);

/* ---- settings: small named values (the generated JWT secret) ---- */
/* Returns 0 found, 1 missing, -1 error. value is NUL-terminated. */
int store_setting_get(struct store *store, const char *key, char *value, size_t value_size);
int store_setting_set(struct store *store, const char *key, const char *value);
/* Sets key only if it is missing, then reads back whichever value won:
 * two processes starting at once agree on one secret. */
int store_setting_init(struct store *store, const char *key, const char *value, char *out,
                       size_t out_size);
/* Returns 0 deleted, 1 missing, -1 error. */
int store_setting_delete(struct store *store, const char *key);

/* ---- users ---- */
struct store_user {
	int64_t id;
	char name[STORE_NAME_MAX];
	char password_hash[STORE_HASH_MAX]; /* argon2id encoded */
	char roles[STORE_ROLES_MAX];        /* comma list: "sender,receiver" */
	int disabled;                       /* 0 or 1 */
	int64_t created_at;                 /* unix seconds */
};

/* 0 if name is acceptable as a user name (1..64 bytes of UTF-8, no control
 * characters, whitespace, invisible characters or ':'), else -1 with the
 * reason in why (e.g. "contains whitespace"). store_user_add applies it; a
 * caller may check first, before asking for a password. */
int store_user_name_check(const char *name, char *why, size_t why_size);
/* Returns 0, 1 if the name is taken, -1 on error (an invalid name gives
 * "invalid user name: <why>"). */
int store_user_add(struct store *store, const char *name, const char *password_hash,
                   const char *roles);
/* Returns 0 found, 1 missing, -1 error. */
int store_user_get(struct store *store, const char *name, struct store_user *out);
/* Calls visit for every user, ordered by name. */
int store_user_list(struct store *store, void (*visit)(const struct store_user *user, void *arg),
                    void *arg);
/* These return 0, 1 if the user does not exist, -1 on error. Deleting and
 * disabling also revoke the user's refresh tokens and TURN credentials (as
 * store_turn_revoke_user does) and record a user event in the same
 * transaction; enabling records an event; a new password revokes the
 * tokens and records an event; new roles revoke the tokens (refresh tokens
 * carry the roles granted at login). */
int store_user_delete(struct store *store, const char *name);
int store_user_set_disabled(struct store *store, const char *name, int disabled);
int store_user_set_password(struct store *store, const char *name, const char *password_hash);
int store_user_set_roles(struct store *store, const char *name, const char *roles);

/* ---- user events: how a running daemon learns of icegatectl's changes ---- */
enum store_user_event {
	STORE_USER_DELETED = 1,
	STORE_USER_DISABLED,
	STORE_USER_ENABLED,
	STORE_USER_PASSWORD_CHANGED,
	STORE_USER_TURN_REVOKED, /* the user's TURN credentials were revoked */
	STORE_SECRET_ROTATED     /* name "" (old tokens stay valid) or "now" (they end now) */
};

/* Appends an event, inside the caller's store_begin when there is one (so the
 * change and its event commit together). Returns 0 or -1. */
int store_user_event_append(struct store *store, const char *name, enum store_user_event kind);

/* The highest event sequence number so far (0 if none). */
int store_user_event_latest(struct store *store, int64_t *seq);
/* Calls visit for each event with seq > after, in order; *last gets the
 * highest seq seen (unchanged when there is none). */
int store_user_events_since(struct store *store, int64_t after, int64_t *last,
                            void (*visit)(const char *name, enum store_user_event kind, void *arg),
                            void *arg);
/* Cheap test for "another connection committed something" (PRAGMA
 * data_version); returns 1 changed, 0 unchanged, -1 error. */
int store_changed(struct store *store);

/* ---- refresh tokens: only SHA-256 hashes are stored ---- */
struct store_refresh {
	char token_hash[65]; /* hex SHA-256 of the token */
	char family[33];     /* hex id shared along one rotation chain */
	char subject[STORE_SUBJECT_MAX];
	char roles[STORE_ROLES_MAX];
	char room[STORE_ROOM_MAX];
	int64_t issued_at, expires_at;
	int used;    /* already rotated */
	int revoked; /* family revoked (logout, reuse, user change) */
};

int store_refresh_insert(struct store *store, const struct store_refresh *token);
/* Returns 0 found, 1 missing, -1 error. */
int store_refresh_get(struct store *store, const char *token_hash, struct store_refresh *out);
/* Marks a token used if it was not already: returns 0 if this call marked it,
 * 1 if it was already used or revoked (a replay), -1 on error. Atomic, so two
 * concurrent refreshes of one token cannot both succeed. */
int store_refresh_mark_used(struct store *store, const char *token_hash, int64_t now);
int store_refresh_revoke_family(struct store *store, const char *family);
int store_refresh_revoke_subject(struct store *store, const char *subject);
/* Deletes tokens that expired before now; returns the count or -1. */
int store_refresh_prune(struct store *store, int64_t now);

/* ---- TURN: secrets coturn reads, revocations, the credential audit ---- */
#define STORE_TURN_USERNAME_MAX   160                   /* "EXPIRY:SUBJECT" + NUL */
#define STORE_TURN_REALM_MAX      128                   /* coturn's realm varchar(127) + NUL */
#define STORE_TURN_SECRET_MAX     257                   /* coturn's value varchar(256) + NUL */
#define STORE_TURN_AUDIT_DAYS     30                    /* audit rows are kept this long */
#define STORE_TURN_TTL_SETTING    "turn_credential_ttl" /* written by the daemon at start */
#define STORE_TURN_WINDOW_SETTING "turn_secret_window"  /* written by the daemon at start */
#define STORE_TURN_TTL_DEFAULT    3600
#define STORE_TURN_TTL_MAX        86400 /* assumed when the setting is unreadable */

/* 0 if username has the shape "EXPIRY:SUBJECT" (EXPIRY 1..19 decimal digits,
 * SUBJECT 1+ bytes without control characters, the whole under
 * STORE_TURN_USERNAME_MAX), else -1 with the reason in why. */
int store_turn_username_check(const char *username, char *why, size_t why_size);

/* Makes turn_secret hold exactly values (count of them) for realm, in one
 * transaction: the realm's other rows are deleted, missing ones inserted;
 * other realms are left alone. */
int store_turn_secrets_replace(struct store *store, const char *realm, const char *const *values,
                               size_t count);
/* Calls visit for each secret of realm, ordered by value. */
int store_turn_secrets_list(struct store *store, const char *realm,
                            void (*visit)(const char *value, void *arg), void *arg);

/* Refuses one credential (checked by store_turn_username_check). Revoking it
 * again keeps the first time. */
int store_turn_revoke_username(struct store *store, const char *username, int64_t now);
/* Refuses every credential of subject whose EXPIRY <= expiry_through; a later
 * call only ever raises expiry_through. */
int store_turn_revoke_subject(struct store *store, const char *subject, int64_t now,
                              int64_t expiry_through);
/* The longest credential lifetime in force (setting STORE_TURN_TTL_SETTING;
 * STORE_TURN_TTL_DEFAULT when missing, STORE_TURN_TTL_MAX when unreadable,
 * the safe side). Returns 0 or -1. */
int store_turn_credential_ttl(struct store *store, int *ttl);
/* Revokes the TURN credentials user name holds now (expiry_through = now +
 * store_turn_credential_ttl) and records STORE_USER_TURN_REVOKED, in one
 * transaction. Returns 0, 1 if there is no such user, -1 on error. */
int store_turn_revoke_user(struct store *store, const char *name, int64_t now);
/* 1 if username ("EXPIRY:SUBJECT", split at the first ':') is revoked, 0 if
 * not, -1 on error (a malformed username is an error). */
int store_turn_is_revoked(struct store *store, const char *username);

struct store_turn_revocation {
	int is_subject;                     /* 1: every credential of a subject; 0: one username */
	char name[STORE_TURN_USERNAME_MAX]; /* the subject or the username */
	int64_t revoked_at;                 /* unix seconds of the latest revocation */
	int64_t expiry_through;             /* subjects only: credentials expiring up to here */
};
/* Calls visit for every revocation, subjects first, then by name. */
int store_turn_revocations_list(struct store *store,
                                void (*visit)(const struct store_turn_revocation *revocation,
                                              void *arg),
                                void *arg);
/* Deletes revocations that can no longer match: usernames whose EXPIRY and
 * subjects whose expiry_through are before now. Returns the count or -1. */
int store_turn_revocations_prune(struct store *store, int64_t now);

/* One issued credential, for the audit trail (never the password). */
struct store_turn_audit {
	char subject[STORE_SUBJECT_MAX];
	char username[STORE_TURN_USERNAME_MAX];
	int64_t issued_at, expires_at;
};
/* Writes count records in one transaction (all or none). */
int store_turn_audit_insert(struct store *store, const struct store_turn_audit *records,
                            size_t count);
/* Deletes records issued more than STORE_TURN_AUDIT_DAYS before now; returns
 * the count or -1. */
int store_turn_audit_prune(struct store *store, int64_t now);

/* ---- API keys: only SHA-256 hashes are stored ---- */
#define STORE_APIKEY_HASH_MAX 65 /* lowercase hex SHA-256 + NUL */

struct store_apikey {
	char name[STORE_NAME_MAX];
	int64_t created_at; /* unix seconds */
};
/* name follows store_user_name_check; key_hash is 64 lowercase hex digits.
 * Returns 0, 1 if the name is taken, -1 on error. */
int store_apikey_add(struct store *store, const char *name, const char *key_hash);
/* Returns 0 found (name_out, STORE_NAME_MAX bytes, gets its name), 1 missing,
 * -1 error. */
int store_apikey_find(struct store *store, const char *key_hash, char *name_out);
/* Calls visit for every key, ordered by name. */
int store_apikey_list(struct store *store, void (*visit)(const struct store_apikey *key, void *arg),
                      void *arg);
/* Returns 0, 1 if there is no such key, -1 on error. */
int store_apikey_delete(struct store *store, const char *name);

/* Wraps several calls in one transaction (BEGIN IMMEDIATE / COMMIT / ROLLBACK). */
int store_begin(struct store *store);
int store_commit(struct store *store);
void store_rollback(struct store *store);

#endif
