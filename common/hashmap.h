/*
 * hashmap.h: a string-keyed hash map with O(1) expected lookups, used for rooms
 * by name, sessions by peer id, and per-address counters.
 *
 * The map copies keys and borrows values: it never frees a value, so the owner
 * of the values decides their lifetime. Not thread-safe: each map belongs to
 * one thread (the event loop).
 */
#ifndef ICEGATE_COMMON_HASHMAP_H
#define ICEGATE_COMMON_HASHMAP_H

#include <stddef.h>

struct hmap_entry {
	struct hmap_entry *next; /* chain within one bucket */
	void *value;             /* borrowed */
	size_t key_length;
	char key[]; /* NUL-terminated copy */
};

struct hmap {
	struct hmap_entry **buckets; /* owned; bucket_count slots */
	size_t bucket_count;         /* a power of two */
	size_t count;                /* entries stored */
};

void hmap_init(struct hmap *map);
/* Frees the map's own memory; values are left to their owner. */
void hmap_clear(struct hmap *map);

void *hmap_get(const struct hmap *map, const char *key);
/* Inserts or replaces. Returns 0, or -1 on allocation failure. */
int hmap_put(struct hmap *map, const char *key, void *value);
/* Removes key; returns the value it had, or NULL. */
void *hmap_remove(struct hmap *map, const char *key);

/* Calls visit for each entry; visit may not change the map. */
void hmap_foreach(const struct hmap *map, void (*visit)(const char *key, void *value, void *arg),
                  void *arg);

#endif
