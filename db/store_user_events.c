/*
 * store_user_events.c: the append-only log of user changes. icegatectl runs
 * in another process, so the daemon cannot be told directly that a user was
 * disabled; instead it notices a commit (store_changed) and reads the events
 * after the last sequence number it has seen, then closes affected sessions.
 */
#include "db/store_internal.h"

#include <time.h>

int store_user_event_append(struct store *store, const char *name, enum store_user_event kind)
{
	static const char doing[] = "recording a user event";
	sqlite3_stmt *statement =
	    store_statement(store, STMT_EVENT_APPEND,
	                    "INSERT INTO ig_user_events (name, kind, at) VALUES (?1, ?2, ?3)");
	if (!statement)
		return -1;
	int result = -1;
	if (store_bind_text(store, statement, 1, name, doing) == 0 &&
	    store_bind_int64(store, statement, 2, kind, doing) == 0 &&
	    store_bind_int64(store, statement, 3, (int64_t)time(NULL), doing) == 0) {
		int rc = sqlite3_step(statement);
		result = rc == SQLITE_DONE ? 0 : store_fail(store, doing, rc);
	}
	store_statement_done(statement);
	return result;
}

int store_user_event_latest(struct store *store, int64_t *seq)
{
	sqlite3_stmt *statement = store_statement(
	    store, STMT_EVENT_LATEST, "SELECT COALESCE(MAX(seq), 0) FROM ig_user_events");
	if (!statement)
		return -1;
	int rc = sqlite3_step(statement);
	if (rc == SQLITE_ROW)
		*seq = sqlite3_column_int64(statement, 0);
	store_statement_done(statement);
	if (rc != SQLITE_ROW)
		return store_fail(store, "reading the latest user event", rc);
	return 0;
}

static int store_event_kind_known(int64_t kind)
{
	return kind >= STORE_USER_DELETED && kind <= STORE_SECRET_ROTATED;
}

int store_user_events_since(struct store *store, int64_t after, int64_t *last,
                            void (*visit)(const char *name, enum store_user_event kind, void *arg),
                            void *arg)
{
	static const char doing[] = "reading user events";
	sqlite3_stmt *statement = store_statement(
	    store, STMT_EVENTS_SINCE,
	    "SELECT seq, name, kind FROM ig_user_events WHERE seq > ?1 ORDER BY seq");
	if (!statement)
		return -1;
	int result = store_bind_int64(store, statement, 1, after, doing);
	while (result == 0) {
		int rc = sqlite3_step(statement);
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_ROW) {
			result = store_fail(store, doing, rc);
			break;
		}
		int64_t seq = sqlite3_column_int64(statement, 0);
		const char *name = (const char *)sqlite3_column_text(statement, 1);
		int64_t kind = sqlite3_column_int64(statement, 2);
		/* A kind from a newer program version means nothing to this one;
		 * it is passed over, not allowed to stall the log. */
		if (name && store_event_kind_known(kind))
			visit(name, (enum store_user_event)kind, arg);
		*last = seq;
	}
	store_statement_done(statement);
	return result;
}
