/*
 * test_signaling_room.c: rooms keep join order, refuse a member past the
 * limit, find the first sender the way the seed's one-sender flow needs, and
 * disappear when the last member leaves.
 */
#include "auth/roles.h"
#include "signaling/room.h"
#include "signaling/session.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static void test_room_names(void **state)
{
	assert_true(room_name_valid("default"));
	assert_true(room_name_valid("a.b-c_D9"));
	assert_true(
	    room_name_valid("0123456789012345678901234567890123456789012345678901234567890123"));
	assert_false(room_name_valid(""));
	assert_false(
	    room_name_valid("01234567890123456789012345678901234567890123456789012345678901234"));
	assert_false(room_name_valid("has space"));
	assert_false(room_name_valid("slash/room"));
	assert_false(room_name_valid("quote'"));
	assert_false(room_name_valid("caf\xc3\xa9"));
}

static void test_join_order_and_first_sender(void **state)
{
	struct room_registry registry;
	room_registry_init(&registry);
	struct session receiver = {.roles = ROLE_RECEIVER};
	struct session sender_a = {.roles = ROLE_SENDER};
	struct session sender_b = {.roles = ROLE_ALL};
	struct room *room = NULL;
	assert_int_equal(room_join(&registry, "r", &receiver, 8, &room), ROOM_JOINED);
	assert_null(room_first_sender(room, NULL));
	assert_int_equal(room_join(&registry, "r", &sender_a, 8, &room), ROOM_JOINED);
	assert_int_equal(room_join(&registry, "r", &sender_b, 8, &room), ROOM_JOINED);
	assert_int_equal(room->count, 3);
	assert_ptr_equal(room_first_sender(room, NULL), &sender_a);
	/* A sender offering without "to" is not its own target. */
	assert_ptr_equal(room_first_sender(room, &sender_a), &sender_b);
	room_leave(&registry, room, &sender_a);
	assert_ptr_equal(room_first_sender(room, NULL), &sender_b);
	assert_ptr_equal(room->members[0], &receiver);
	room_registry_free(&registry);
}

static void test_room_full(void **state)
{
	struct room_registry registry;
	room_registry_init(&registry);
	struct session peers[3] = {
	    {.roles = ROLE_RECEIVER}, {.roles = ROLE_RECEIVER}, {.roles = ROLE_RECEIVER}};
	struct room *room = NULL;
	assert_int_equal(room_join(&registry, "small", &peers[0], 2, &room), ROOM_JOINED);
	assert_int_equal(room_join(&registry, "small", &peers[1], 2, &room), ROOM_JOINED);
	assert_int_equal(room_join(&registry, "small", &peers[2], 2, &room), ROOM_FULL);
	assert_int_equal(room->count, 2);
	room_registry_free(&registry);
}

static void test_empty_room_disappears(void **state)
{
	struct room_registry registry;
	room_registry_init(&registry);
	struct session peer = {.roles = ROLE_SENDER};
	struct room *room = NULL;
	assert_int_equal(room_join(&registry, "gone", &peer, 4, &room), ROOM_JOINED);
	assert_ptr_equal(room_find(&registry, "gone"), room);
	room_leave(&registry, room, &peer);
	assert_null(room_find(&registry, "gone"));
	room_registry_free(&registry);
}

static void test_many_members_grow(void **state)
{
	struct room_registry registry;
	room_registry_init(&registry);
	static struct session peers[100];
	struct room *room = NULL;
	for (int i = 0; i < 100; i++)
		assert_int_equal(room_join(&registry, "big", &peers[i], 100, &room), ROOM_JOINED);
	for (int i = 0; i < 100; i++)
		assert_ptr_equal(room->members[i], &peers[i]);
	room_registry_free(&registry);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_room_names),
	    cmocka_unit_test(test_join_order_and_first_sender),
	    cmocka_unit_test(test_room_full),
	    cmocka_unit_test(test_empty_room_disappears),
	    cmocka_unit_test(test_many_members_grow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
