/*
 * test_signaling_ice_servers.c: the URLs a deployment advertises (host from
 * turn_host or domain, IPv6 literals in brackets, turns: only with TLS) and
 * the schedule of the fresh-credentials push (80 % of the lifetime).
 */
#include "signaling/ice_servers.h"
#include "signaling/server.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static struct config cfg;
static struct server server;

static int setup(void **state)
{
	config_defaults(&cfg);
	memset(&server, 0, sizeof(server));
	server.cfg = &cfg;
	return 0;
}

static void assert_urls(const char *const *expected, size_t count, int include_stun)
{
	json_t *urls = ice_servers_urls(&server, include_stun);
	assert_int_equal(json_array_size(urls), count);
	for (size_t i = 0; i < count; i++)
		assert_string_equal(json_string_value(json_array_get(urls, i)), expected[i]);
	json_decref(urls);
}

static void test_urls_use_the_domain_by_default(void **state)
{
	strcpy(cfg.domain, "media.example.org");
	const char *expected[] = {"stun:media.example.org:3478",
	                          "turn:media.example.org:3478?transport=udp",
	                          "turn:media.example.org:3478?transport=tcp"};
	assert_urls(expected, 3, 1);
}

static void test_turn_host_wins_and_tls_adds_turns(void **state)
{
	strcpy(cfg.domain, "media.example.org");
	strcpy(cfg.turn_host, "turn.example.org");
	cfg.turn_port = 3479;
	cfg.turn_tls = 1;
	cfg.turns_port = 443;
	const char *expected[] = {"turn:turn.example.org:3479?transport=udp",
	                          "turn:turn.example.org:3479?transport=tcp",
	                          "turns:turn.example.org:443?transport=tcp"};
	assert_urls(expected, 3, 0);
}

static void test_ipv6_literal_in_brackets(void **state)
{
	strcpy(cfg.turn_host, "2001:db8::7");
	const char *expected[] = {"stun:[2001:db8::7]:3478",
	                          "turn:[2001:db8::7]:3478?transport=udp",
	                          "turn:[2001:db8::7]:3478?transport=tcp"};
	assert_urls(expected, 3, 1);
}

static void test_push_at_eighty_percent(void **state)
{
	assert_int_equal(ice_servers_push_time(1000, 2000), 1800);
	assert_int_equal(ice_servers_push_time(1700000000, 1700003600), 1700002880);
	/* A credential of one minute is refreshed 12 s before it ends. */
	assert_int_equal(ice_servers_push_time(0, 60), 48);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_urls_use_the_domain_by_default, setup),
	    cmocka_unit_test_setup(test_turn_host_wins_and_tls_adds_turns, setup),
	    cmocka_unit_test_setup(test_ipv6_literal_in_brackets, setup),
	    cmocka_unit_test_setup(test_push_at_eighty_percent, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
