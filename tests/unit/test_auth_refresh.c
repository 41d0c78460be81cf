/*
 * test_auth_refresh.c: refresh token rotation against a real store file.
 * Covers what a client sees: a token works once and yields a successor, a
 * replayed token revokes its whole family, expired and unknown tokens are
 * refused, malformed strings never reach the database, logout revokes the
 * family, and of two refreshes racing on one token only one succeeds.
 */
#include "auth/refresh.h"
#include "auth/roles.h"
#include "db/store.h"

#include <openssl/sha.h>

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "db_test_fixture.h"

#define T0  1700000000
#define TTL 3600

static struct refresh_grant make_grant(void)
{
	struct refresh_grant grant = {.roles = ROLE_ALL};
	strcpy(grant.subject, "alice");
	strcpy(grant.room, "lobby");
	return grant;
}

static void issue(struct store *store, char token[REFRESH_TOKEN_MAX])
{
	struct refresh_grant grant = make_grant();
	assert_int_equal(refresh_issue(store, &grant, NULL, T0, TTL, token), 0);
}

static void sha256_hex(const char *text, char out[65])
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)text, strlen(text), digest);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
}

static void test_issue_stores_only_hash(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	assert_int_equal(strlen(token), 43);
	assert_int_equal(strspn(token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                               "0123456789-_"),
	                 43);
	struct store_refresh row;
	assert_int_equal(store_refresh_get(f->store, token, &row), 1);
	char hash[65];
	sha256_hex(token, hash);
	assert_int_equal(store_refresh_get(f->store, hash, &row), 0);
	assert_string_equal(row.subject, "alice");
	assert_string_equal(row.roles, "sender,receiver");
	assert_string_equal(row.room, "lobby");
	assert_int_equal(strlen(row.family), 32);
	assert_int_equal(row.issued_at, T0);
	assert_int_equal(row.expires_at, T0 + TTL);
	assert_false(row.used);
	assert_false(row.revoked);
}

static void test_issue_tokens_differ(void **state)
{
	struct db_fixture *f = *state;
	char first[REFRESH_TOKEN_MAX], second[REFRESH_TOKEN_MAX];
	issue(f->store, first);
	issue(f->store, second);
	assert_string_not_equal(first, second);
}

static void test_issue_refuses_bad_grant(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX];
	struct refresh_grant grant = make_grant();
	grant.roles = 0;
	assert_int_equal(refresh_issue(f->store, &grant, NULL, T0, TTL, token), -1);
	assert_string_equal(token, "");
	grant = make_grant();
	grant.subject[0] = '\0';
	assert_int_equal(refresh_issue(f->store, &grant, NULL, T0, TTL, token), -1);
	grant = make_grant();
	assert_int_equal(refresh_issue(f->store, &grant, NULL, T0, 0, token), -1);
}

static void test_rotate(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX], next[REFRESH_TOKEN_MAX], third[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	struct refresh_grant grant;
	assert_int_equal(refresh_rotate(f->store, token, T0 + 10, TTL, &grant, next), REFRESH_OK);
	assert_string_equal(grant.subject, "alice");
	assert_int_equal(grant.roles, ROLE_ALL);
	assert_string_equal(grant.room, "lobby");
	assert_int_equal(strlen(next), 43);
	assert_string_not_equal(next, token);

	/* The successor is in the same family and lives ttl from the rotation. */
	char old_hash[65], next_hash[65];
	sha256_hex(token, old_hash);
	sha256_hex(next, next_hash);
	struct store_refresh old_row, next_row;
	assert_int_equal(store_refresh_get(f->store, old_hash, &old_row), 0);
	assert_int_equal(store_refresh_get(f->store, next_hash, &next_row), 0);
	assert_true(old_row.used);
	assert_string_equal(old_row.family, next_row.family);
	assert_int_equal(next_row.expires_at, T0 + 10 + TTL);

	assert_int_equal(refresh_rotate(f->store, next, T0 + 20, TTL, &grant, third), REFRESH_OK);
}

static void test_reuse_revokes_family(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX], next[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	struct refresh_grant grant;
	assert_int_equal(refresh_rotate(f->store, token, T0 + 10, TTL, &grant, next), REFRESH_OK);
	assert_int_equal(refresh_rotate(f->store, token, T0 + 20, TTL, &grant, out),
	                 REFRESH_REUSED);
	assert_string_equal(out, "");
	/* The legitimate holder's successor is dead too: they must log in again. */
	assert_int_equal(refresh_rotate(f->store, next, T0 + 30, TTL, &grant, out),
	                 REFRESH_REVOKED);
	assert_int_equal(refresh_rotate(f->store, token, T0 + 40, TTL, &grant, out),
	                 REFRESH_REVOKED);
}

static void test_reuse_leaves_other_families(void **state)
{
	struct db_fixture *f = *state;
	char stolen[REFRESH_TOKEN_MAX], other[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, stolen);
	issue(f->store, other);
	struct refresh_grant grant;
	assert_int_equal(refresh_rotate(f->store, stolen, T0, TTL, &grant, out), REFRESH_OK);
	assert_int_equal(refresh_rotate(f->store, stolen, T0, TTL, &grant, out), REFRESH_REUSED);
	assert_int_equal(refresh_rotate(f->store, other, T0, TTL, &grant, out), REFRESH_OK);
}

static void test_expired(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	struct refresh_grant grant;
	assert_int_equal(refresh_rotate(f->store, token, T0 + TTL, TTL, &grant, out),
	                 REFRESH_EXPIRED);
	assert_string_equal(out, "");
}

static void test_last_second_is_valid(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	struct refresh_grant grant;
	assert_int_equal(refresh_rotate(f->store, token, T0 + TTL - 1, TTL, &grant, out),
	                 REFRESH_OK);
}

static void test_unknown(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	token[0] = token[0] == 'A' ? 'B' : 'A'; /* well formed, never issued */
	struct refresh_grant grant;
	assert_int_equal(refresh_rotate(f->store, token, T0, TTL, &grant, out), REFRESH_UNKNOWN);
}

static void test_malformed_without_store(void **state)
{
	/* A NULL store proves these are refused before any database access. */
	static const char *const tokens[] = {
	    "",
	    "short",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* 42 characters */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", /* 44 characters */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+",  /* standard alphabet */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",  /* padding */
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB",  /* non-zero trailing bits */
	    "' OR 1=1 --AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
	};
	char out[REFRESH_TOKEN_MAX];
	struct refresh_grant grant;
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		assert_int_equal(refresh_rotate(NULL, tokens[i], T0, TTL, &grant, out),
		                 REFRESH_UNKNOWN);
		assert_int_equal(refresh_revoke(NULL, tokens[i]), 1);
	}
	assert_int_equal(refresh_rotate(NULL, NULL, T0, TTL, &grant, out), REFRESH_UNKNOWN);
}

static void test_logout_revokes_family(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX], next[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	struct refresh_grant grant;
	assert_int_equal(refresh_rotate(f->store, token, T0, TTL, &grant, next), REFRESH_OK);
	/* Logging out with the current token ends the whole login. */
	assert_int_equal(refresh_revoke(f->store, next), 0);
	assert_int_equal(refresh_rotate(f->store, next, T0, TTL, &grant, out), REFRESH_REVOKED);
	assert_int_equal(refresh_rotate(f->store, token, T0, TTL, &grant, out), REFRESH_REVOKED);
}

static void test_logout_unknown(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	token[0] = token[0] == 'A' ? 'B' : 'A';
	assert_int_equal(refresh_revoke(f->store, token), 1);
}

static void test_issue_into_existing_family(void **state)
{
	struct db_fixture *f = *state;
	char first[REFRESH_TOKEN_MAX], second[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, first);
	char hash[65];
	sha256_hex(first, hash);
	struct store_refresh row;
	assert_int_equal(store_refresh_get(f->store, hash, &row), 0);
	struct refresh_grant grant = make_grant();
	assert_int_equal(refresh_issue(f->store, &grant, row.family, T0, TTL, second), 0);
	assert_int_equal(refresh_revoke(f->store, first), 0);
	assert_int_equal(refresh_rotate(f->store, second, T0, TTL, &grant, out), REFRESH_REVOKED);
}

struct racer {
	struct store *store;
	int result;
};

static void *commit_later(void *arg)
{
	struct racer *racer = arg;
	struct timespec pause = {.tv_nsec = 200 * 1000 * 1000};
	nanosleep(&pause, NULL);
	racer->result = store_commit(racer->store);
	return NULL;
}

static void test_concurrent_rotation(void **state)
{
	struct db_fixture *f = *state;
	char token[REFRESH_TOKEN_MAX], out[REFRESH_TOKEN_MAX];
	issue(f->store, token);
	char hash[65], err[256];
	sha256_hex(token, hash);

	/* Another process is rotating the same token: it has marked it but not
	 * yet committed, so this process still reads the token as unused. */
	struct store *other = store_open(f->path, err, sizeof(err));
	assert_non_null(other);
	assert_int_equal(store_begin(other), 0);
	assert_int_equal(store_refresh_mark_used(other, hash, T0), 0);
	struct racer racer = {.store = other, .result = -1};
	pthread_t thread;
	assert_int_equal(pthread_create(&thread, NULL, commit_later, &racer), 0);

	struct refresh_grant grant;
	enum refresh_result result = refresh_rotate(f->store, token, T0, TTL, &grant, out);
	pthread_join(thread, NULL);
	assert_int_equal(racer.result, 0);
	assert_int_equal(result, REFRESH_REUSED);
	assert_string_equal(out, "");
	struct store_refresh row;
	assert_int_equal(store_refresh_get(f->store, hash, &row), 0);
	assert_true(row.revoked);
	store_close(other);
}

static void test_result_texts(void **state)
{
	assert_string_equal(refresh_result_text(REFRESH_UNKNOWN), "unknown refresh token");
	assert_string_equal(refresh_result_text(REFRESH_EXPIRED), "refresh token expired");
	assert_string_equal(refresh_result_text(REFRESH_REVOKED), "refresh token revoked");
	assert_non_null(strstr(refresh_result_text(REFRESH_REUSED), "reused"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_issue_stores_only_hash, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_issue_tokens_differ, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_issue_refuses_bad_grant, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_rotate, db_fixture_setup, db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_reuse_revokes_family, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_reuse_leaves_other_families, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_expired, db_fixture_setup, db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_last_second_is_valid, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_unknown, db_fixture_setup, db_fixture_teardown),
	    cmocka_unit_test(test_malformed_without_store),
	    cmocka_unit_test_setup_teardown(test_logout_revokes_family, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_logout_unknown, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_issue_into_existing_family, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_rotation, db_fixture_setup,
	                                    db_fixture_teardown),
	    cmocka_unit_test(test_result_texts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
