/*
 * room.c: the room registry. Members are kept in join order in a growable
 * array; rooms are small (max_peers_per_room), so removal by scan is cheap.
 */
#include "signaling/room.h"

#include "auth/roles.h"
#include "signaling/session.h"

#include <stdlib.h>
#include <string.h>

#define ROOM_NAME_MAX_LENGTH 64

void room_registry_init(struct room_registry *registry)
{
	hmap_init(&registry->by_name);
}

static void free_room(const char *name, void *value, void *arg)
{
	struct room *room = value;
	free(room->members);
	free(room->name);
	free(room);
}

void room_registry_free(struct room_registry *registry)
{
	hmap_foreach(&registry->by_name, free_room, NULL);
	hmap_clear(&registry->by_name);
}

struct room *room_find(const struct room_registry *registry, const char *name)
{
	return hmap_get(&registry->by_name, name);
}

int room_name_valid(const char *name)
{
	size_t length = strlen(name);
	if (length == 0 || length > ROOM_NAME_MAX_LENGTH)
		return 0;
	for (const char *c = name; *c; c++) {
		int allowed = (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.';
		if (!allowed)
			return 0;
	}
	return 1;
}

enum room_join_result room_join(struct room_registry *registry, const char *name,
                                struct session *session, size_t max_peers, struct room **out)
{
	struct room *room = room_find(registry, name);
	if (!room) {
		room = calloc(1, sizeof(*room));
		if (!room || !(room->name = strdup(name)) ||
		    hmap_put(&registry->by_name, name, room) != 0) {
			if (room)
				free(room->name);
			free(room);
			return ROOM_NO_MEMORY;
		}
	}
	if (room->count >= max_peers)
		return ROOM_FULL;
	if (room->count == room->capacity) {
		size_t capacity = room->capacity ? room->capacity * 2 : 4;
		struct session **grown = realloc(room->members, capacity * sizeof(*grown));
		if (!grown) {
			if (room->count == 0)
				room_leave(registry, room, NULL);
			return ROOM_NO_MEMORY;
		}
		room->members = grown;
		room->capacity = capacity;
	}
	room->members[room->count++] = session;
	*out = room;
	return ROOM_JOINED;
}

void room_leave(struct room_registry *registry, struct room *room, struct session *session)
{
	for (size_t i = 0; i < room->count; i++) {
		if (room->members[i] == session) {
			memmove(&room->members[i], &room->members[i + 1],
			        (room->count - i - 1) * sizeof(room->members[0]));
			room->count--;
			break;
		}
	}
	if (room->count == 0) {
		hmap_remove(&registry->by_name, room->name);
		free_room(NULL, room, NULL);
	}
}

struct session *room_first_sender(const struct room *room, const struct session *except)
{
	for (size_t i = 0; i < room->count; i++)
		if (room->members[i] != except && (room->members[i]->roles & ROLE_SENDER))
			return room->members[i];
	return NULL;
}
