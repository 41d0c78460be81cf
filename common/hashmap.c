/*
 * hashmap.c: separate chaining with FNV-1a and doubling at load factor 1.
 */
#include "common/hashmap.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static uint64_t hash_key(const char *key, size_t length)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < length; i++) {
		h ^= (unsigned char)key[i];
		h *= 1099511628211ULL;
	}
	return h;
}

void hmap_init(struct hmap *map)
{
	map->buckets = NULL;
	map->bucket_count = 0;
	map->count = 0;
}

void hmap_clear(struct hmap *map)
{
	for (size_t i = 0; i < map->bucket_count; i++) {
		struct hmap_entry *e = map->buckets[i];
		while (e) {
			struct hmap_entry *next = e->next;
			free(e);
			e = next;
		}
	}
	free(map->buckets);
	hmap_init(map);
}

static struct hmap_entry **find_slot(const struct hmap *map, const char *key, size_t length)
{
	if (map->bucket_count == 0)
		return NULL;
	size_t index = hash_key(key, length) & (map->bucket_count - 1);
	struct hmap_entry **slot = &map->buckets[index];
	while (*slot) {
		if ((*slot)->key_length == length && memcmp((*slot)->key, key, length) == 0)
			return slot;
		slot = &(*slot)->next;
	}
	return slot;
}

static int grow(struct hmap *map)
{
	size_t new_count = map->bucket_count ? map->bucket_count * 2 : 16;
	struct hmap_entry **fresh = calloc(new_count, sizeof(*fresh));
	if (!fresh)
		return -1;
	for (size_t i = 0; i < map->bucket_count; i++) {
		struct hmap_entry *e = map->buckets[i];
		while (e) {
			struct hmap_entry *next = e->next;
			size_t index = hash_key(e->key, e->key_length) & (new_count - 1);
			e->next = fresh[index];
			fresh[index] = e;
			e = next;
		}
	}
	free(map->buckets);
	map->buckets = fresh;
	map->bucket_count = new_count;
	return 0;
}

void *hmap_get(const struct hmap *map, const char *key)
{
	struct hmap_entry **slot = find_slot(map, key, strlen(key));
	return slot && *slot ? (*slot)->value : NULL;
}

int hmap_put(struct hmap *map, const char *key, void *value)
{
	size_t length = strlen(key);
	struct hmap_entry **slot = find_slot(map, key, length);
	if (slot && *slot) {
		(*slot)->value = value;
		return 0;
	}
	if (map->count >= map->bucket_count) {
		if (grow(map) != 0)
			return -1;
	}
	slot = find_slot(map, key, length);
	struct hmap_entry *e = malloc(sizeof(*e) + length + 1);
	if (!e)
		return -1;
	e->next = NULL;
	e->value = value;
	e->key_length = length;
	memcpy(e->key, key, length + 1);
	*slot = e;
	map->count++;
	return 0;
}

void *hmap_remove(struct hmap *map, const char *key)
{
	struct hmap_entry **slot = find_slot(map, key, strlen(key));
	if (!slot || !*slot)
		return NULL;
	struct hmap_entry *e = *slot;
	void *value = e->value;
	*slot = e->next;
	free(e);
	map->count--;
	return value;
}

void hmap_foreach(const struct hmap *map, void (*visit)(const char *key, void *value, void *arg),
                  void *arg)
{
	for (size_t i = 0; i < map->bucket_count; i++)
		for (struct hmap_entry *e = map->buckets[i]; e; e = e->next)
			visit(e->key, e->value, arg);
}
