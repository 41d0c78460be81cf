/*
 * room.h: rooms by name, each an ordered list of sessions.
 *
 * Join order is kept because "the room's first sender" (the target of an offer
 * without "to", as the seed server behaved) is the earliest-joined peer with
 * the sender role. A room exists while it has members.
 */
#ifndef ICEGATE_SIGNALING_ROOM_H
#define ICEGATE_SIGNALING_ROOM_H

#include "common/hashmap.h"

#include <stddef.h>

struct session;

struct room {
	char *name;               /* owned */
	struct session **members; /* owned array; sessions borrowed; join order */
	size_t count, capacity;
};

struct room_registry {
	struct hmap by_name; /* name -> struct room (owned) */
};

enum room_join_result { ROOM_JOINED = 0, ROOM_FULL, ROOM_NO_MEMORY };

void room_registry_init(struct room_registry *registry);
void room_registry_free(struct room_registry *registry);

struct room *room_find(const struct room_registry *registry, const char *name);
/* Adds session to room name (created on demand) unless it has max_peers. */
enum room_join_result room_join(struct room_registry *registry, const char *name,
                                struct session *session, size_t max_peers, struct room **out);
/* Removes session; frees the room when it empties (room is invalid after). */
void room_leave(struct room_registry *registry, struct room *room, struct session *session);
/* The earliest-joined member acting as sender other than except (which may
 * be NULL), or NULL. */
struct session *room_first_sender(const struct room *room, const struct session *except);

/* 1 for names of 1..64 characters from A-Z a-z 0-9 _ - . */
int room_name_valid(const char *name);

#endif
