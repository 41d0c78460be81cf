/*
 * test_auth_secret.c: where the signing key comes from. Without a configured
 * secret one is generated once and kept in the store, so restarts and a second
 * process agree and previously issued tokens stay valid; a configured secret
 * wins; a short or malformed one is an error that never echoes the secret.
 */
#include "auth/secret.h"
#include "auth/token.h"
#include "common/base64.h"
#include "config/config.h"
#include "db/store.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#define NOW 1700000000

struct fixture {
	char dir[64];
	char path[128];
	struct store *store; /* owned */
	struct config cfg;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/icegate-secret-XXXXXX");
	if (!mkdtemp(f->dir))
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/test.db", f->dir);
	char err[256];
	f->store = store_open(f->path, err, sizeof(err));
	if (!f->store) {
		fprintf(stderr, "store_open: %s\n", err);
		return -1;
	}
	config_defaults(&f->cfg);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
	char path[160];
	store_close(f->store);
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", f->path, suffixes[i]);
		unlink(path);
	}
	rmdir(f->dir);
	free(f);
	return 0;
}

static void load(struct fixture *f, struct store *store, struct token_keyring *ring, int *generated)
{
	char err[256];
	assert_int_equal(secret_load_keyring(&f->cfg, store, ring, generated, err, sizeof(err)), 0);
}

static void test_generated_once_and_reused(void **state)
{
	struct fixture *f = *state;
	struct token_keyring first, second;
	int generated = -1;
	load(f, f->store, &first, &generated);
	assert_int_equal(generated, 1);
	assert_int_equal(first.count, 1);
	assert_int_equal(first.keys[0].secret_length, 32);

	char stored[256];
	assert_int_equal(store_setting_get(f->store, "jwt_secret", stored, sizeof(stored)), 0);
	assert_int_equal(strlen(stored), 64);
	char hex[65];
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", first.keys[0].secret[i]);
	assert_string_equal(stored, hex);

	load(f, f->store, &second, &generated);
	assert_int_equal(generated, 0);
	assert_string_equal(second.keys[0].kid, first.keys[0].kid);
	assert_memory_equal(second.keys[0].secret, first.keys[0].secret, 32);
}

static void test_second_process_agrees(void **state)
{
	struct fixture *f = *state;
	char err[256];
	struct store *other = store_open(f->path, err, sizeof(err));
	assert_non_null(other);
	struct token_keyring ours, theirs;
	int generated_ours = -1, generated_theirs = -1;
	load(f, f->store, &ours, &generated_ours);
	load(f, other, &theirs, &generated_theirs);
	assert_int_equal(generated_ours + generated_theirs, 1);
	assert_string_equal(ours.keys[0].kid, theirs.keys[0].kid);

	/* A token issued by one verifies in the other. */
	struct token_claims claims = {.roles = 1};
	strcpy(claims.subject, "alice");
	char *token = NULL;
	assert_int_equal(token_issue(&ours, &claims, NOW, 60, &token), 0);
	assert_int_equal(token_verify(&theirs, token, NOW, &claims), TOKEN_OK);
	free(token);
	store_close(other);
}

static void test_claims_settings_from_config(void **state)
{
	struct fixture *f = *state;
	strcpy(f->cfg.issuer, "https://signal.example");
	strcpy(f->cfg.audience, "webrtc");
	f->cfg.token_leeway = 5;
	struct token_keyring ring;
	int generated;
	load(f, f->store, &ring, &generated);
	assert_string_equal(ring.issuer, "https://signal.example");
	assert_string_equal(ring.audience, "webrtc");
	assert_int_equal(ring.leeway, 5);
}

static void test_configured_secret_wins(void **state)
{
	struct fixture *f = *state;
	static const char secret[] = "0123456789abcdefghijklmnopqrstuvwxyz";
	strcpy(f->cfg.jwt_secret, secret);
	struct token_keyring ring;
	int generated = -1;
	load(f, f->store, &ring, &generated);
	assert_int_equal(generated, 0);
	assert_int_equal(ring.count, 1);
	assert_int_equal(ring.keys[0].secret_length, strlen(secret));
	assert_memory_equal(ring.keys[0].secret, secret, strlen(secret));
	char stored[256];
	assert_int_equal(store_setting_get(f->store, "jwt_secret", stored, sizeof(stored)), 1);
}

static void test_configured_secret_wins_over_stored(void **state)
{
	struct fixture *f = *state;
	struct token_keyring generated_ring, ring;
	int generated;
	load(f, f->store, &generated_ring, &generated);
	strcpy(f->cfg.jwt_secret, "a configured secret of sufficient length");
	load(f, f->store, &ring, &generated);
	assert_string_not_equal(ring.keys[0].kid, generated_ring.keys[0].kid);
}

static void test_configured_secret_without_store(void **state)
{
	struct fixture *f = *state;
	strcpy(f->cfg.jwt_secret, "a configured secret of sufficient length");
	struct token_keyring ring;
	int generated;
	load(f, NULL, &ring, &generated);
	assert_int_equal(ring.count, 1);
}

static void test_too_short_configured_secret(void **state)
{
	struct fixture *f = *state;
	static const char secret[] = "only-31-bytes-of-secret-xxxxxxx";
	assert_int_equal(strlen(secret), 31);
	strcpy(f->cfg.jwt_secret, secret);
	struct token_keyring ring;
	int generated = -1;
	char err[256] = "";
	assert_int_equal(
	    secret_load_keyring(&f->cfg, f->store, &ring, &generated, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "at least 32 bytes"));
	assert_null(strstr(err, secret));
	assert_int_equal(ring.count, 0);
	assert_int_equal(generated, 0);
}

static void test_long_configured_secret(void **state)
{
	struct fixture *f = *state;
	char secret[201];
	memset(secret, 'k', 200);
	secret[200] = '\0';
	strcpy(f->cfg.jwt_secret, secret);
	struct token_keyring ring;
	int generated;
	load(f, f->store, &ring, &generated);

	/* A token signed by another tool with the full secret still verifies. */
	static const char header[] = "{\"alg\":\"HS256\",\"kid\":\"%s\"}";
	static const char payload[] = "{\"iss\":\"icegate\",\"aud\":\"icegate\",\"sub\":\"alice\","
	                              "\"role\":\"sender\",\"iat\":1700000000,\"exp\":1700000600,"
	                              "\"jti\":\"ab\"}";
	char header_text[128], token[1024];
	snprintf(header_text, sizeof(header_text), header, ring.keys[0].kid);
	b64_encode((const unsigned char *)header_text, strlen(header_text), token, 1);
	size_t used = strlen(token);
	token[used++] = '.';
	b64_encode((const unsigned char *)payload, strlen(payload), token + used, 1);
	used = strlen(token);
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int mac_length = 0;
	assert_non_null(
	    HMAC(EVP_sha256(), secret, 200, (unsigned char *)token, used, mac, &mac_length));
	token[used++] = '.';
	b64_encode(mac, mac_length, token + used, 1);
	struct token_claims claims;
	assert_int_equal(token_verify(&ring, token, NOW, &claims), TOKEN_OK);
}

static void test_malformed_stored_secret(void **state)
{
	struct fixture *f = *state;
	static const char *const bad[] = {
	    "zz",
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdeg",
	    "0123456789abcdef0123456789abcdef", /* 16 bytes: too short */
	    "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(store_setting_set(f->store, "jwt_secret", bad[i]), 0);
		struct token_keyring ring;
		int generated;
		char err[256];
		assert_int_equal(
		    secret_load_keyring(&f->cfg, f->store, &ring, &generated, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, "malformed"));
		assert_null(strstr(err, bad[i]));
	}
}

static void test_no_secret_and_no_store(void **state)
{
	struct fixture *f = *state;
	struct token_keyring ring;
	int generated;
	char err[256] = "";
	assert_int_equal(secret_load_keyring(&f->cfg, NULL, &ring, &generated, err, sizeof(err)),
	                 -1);
	assert_true(strlen(err) > 0);
}

static char *issue_for(const struct token_keyring *ring)
{
	struct token_claims claims = {.roles = 1};
	strcpy(claims.subject, "alice");
	char *token = NULL;
	assert_int_equal(token_issue(ring, &claims, NOW, 600, &token), 0);
	return token;
}

static void rotate(struct fixture *f, int drop_previous)
{
	char err[256] = "";
	assert_int_equal(secret_rotate(&f->cfg, f->store, drop_previous, err, sizeof(err)), 0);
	assert_string_equal(err, "");
}

static void test_rotate_keeps_previous_verifying(void **state)
{
	struct fixture *f = *state;
	struct token_keyring before, after;
	int generated;
	load(f, f->store, &before, &generated);
	char *old_token = issue_for(&before);
	rotate(f, 0);
	load(f, f->store, &after, &generated);
	assert_int_equal(generated, 0);
	assert_int_equal(after.count, 2);
	/* The new key signs; the old one is second and still verifies. */
	assert_string_not_equal(after.keys[0].kid, before.keys[0].kid);
	assert_string_equal(after.keys[1].kid, before.keys[0].kid);
	struct token_claims claims;
	assert_int_equal(token_verify(&after, old_token, NOW, &claims), TOKEN_OK);
	char *new_token = issue_for(&after);
	assert_int_equal(token_verify(&before, new_token, NOW, &claims), TOKEN_UNKNOWN_KEY);
	free(old_token);
	free(new_token);
}

static void test_rotate_now_drops_previous(void **state)
{
	struct fixture *f = *state;
	struct token_keyring before, after;
	int generated;
	load(f, f->store, &before, &generated);
	char *old_token = issue_for(&before);
	rotate(f, 0);
	rotate(f, 1);
	load(f, f->store, &after, &generated);
	assert_int_equal(after.count, 1);
	struct token_claims claims;
	assert_int_equal(token_verify(&after, old_token, NOW, &claims), TOKEN_UNKNOWN_KEY);
	char stored[256];
	assert_int_equal(store_setting_get(f->store, "jwt_secret_previous", stored, sizeof(stored)),
	                 1);
	free(old_token);
}

static void test_rotate_twice_keeps_one_previous(void **state)
{
	struct fixture *f = *state;
	struct token_keyring first, second, third;
	int generated;
	load(f, f->store, &first, &generated);
	rotate(f, 0);
	load(f, f->store, &second, &generated);
	rotate(f, 0);
	load(f, f->store, &third, &generated);
	assert_int_equal(third.count, 2);
	assert_string_equal(third.keys[1].kid, second.keys[0].kid);
	assert_string_not_equal(third.keys[0].kid, first.keys[0].kid);
	assert_string_not_equal(third.keys[1].kid, first.keys[0].kid);
}

struct seen_events {
	char names[4][8];
	int kinds[4];
	int count;
};

static void collect_event(const char *name, enum store_user_event kind, void *arg)
{
	struct seen_events *seen = arg;
	assert_true(seen->count < 4);
	snprintf(seen->names[seen->count], sizeof(seen->names[0]), "%s", name);
	seen->kinds[seen->count++] = (int)kind;
}

static void test_rotate_records_events(void **state)
{
	struct fixture *f = *state;
	int64_t last = 0;
	assert_int_equal(store_user_event_latest(f->store, &last), 0);
	rotate(f, 0);
	rotate(f, 1);
	struct seen_events seen = {.count = 0};
	assert_int_equal(store_user_events_since(f->store, last, &last, collect_event, &seen), 0);
	assert_int_equal(seen.count, 2);
	assert_int_equal(seen.kinds[0], STORE_SECRET_ROTATED);
	assert_string_equal(seen.names[0], "");
	assert_int_equal(seen.kinds[1], STORE_SECRET_ROTATED);
	assert_string_equal(seen.names[1], "now");
}

static void test_rotate_refused_with_configured_secret(void **state)
{
	struct fixture *f = *state;
	strcpy(f->cfg.jwt_secret, "a configured secret of sufficient length");
	char err[256] = "";
	assert_int_equal(secret_rotate(&f->cfg, f->store, 0, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "jwt_secret is set in the configuration"));
	assert_null(strstr(err, "sufficient length"));
	char stored[256];
	assert_int_equal(store_setting_get(f->store, "jwt_secret", stored, sizeof(stored)), 1);
	assert_int_equal(store_setting_get(f->store, "jwt_secret_previous", stored, sizeof(stored)),
	                 1);
}

static void test_rotate_without_store_is_error(void **state)
{
	struct fixture *f = *state;
	char err[256] = "";
	assert_int_equal(secret_rotate(&f->cfg, NULL, 0, err, sizeof(err)), -1);
	assert_true(strlen(err) > 0);
}

static void test_configured_secret_ignores_stored_previous(void **state)
{
	struct fixture *f = *state;
	struct token_keyring ring;
	int generated;
	load(f, f->store, &ring, &generated);
	rotate(f, 0);
	strcpy(f->cfg.jwt_secret, "a configured secret of sufficient length");
	load(f, f->store, &ring, &generated);
	assert_int_equal(ring.count, 1);
}

static void test_malformed_previous_secret_is_error(void **state)
{
	struct fixture *f = *state;
	struct token_keyring ring;
	int generated;
	load(f, f->store, &ring, &generated);
	assert_int_equal(store_setting_set(f->store, "jwt_secret_previous", "zz"), 0);
	char err[256] = "";
	assert_int_equal(
	    secret_load_keyring(&f->cfg, f->store, &ring, &generated, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "malformed"));
	assert_non_null(strstr(err, "jwt_secret_previous"));
	assert_int_equal(ring.count, 0);
}

static void test_rotate_recovers_from_malformed_current(void **state)
{
	struct fixture *f = *state;
	assert_int_equal(store_setting_set(f->store, "jwt_secret", "zz"), 0);
	rotate(f, 0);
	struct token_keyring ring;
	int generated;
	load(f, f->store, &ring, &generated);
	assert_int_equal(ring.count, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_generated_once_and_reused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_process_agrees, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claims_settings_from_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_configured_secret_wins, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_configured_secret_wins_over_stored, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_configured_secret_without_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_too_short_configured_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_long_configured_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_stored_secret, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_secret_and_no_store, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_keeps_previous_verifying, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_now_drops_previous, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_twice_keeps_one_previous, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_records_events, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_refused_with_configured_secret, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_without_store_is_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_configured_secret_ignores_stored_previous, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_previous_secret_is_error, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_rotate_recovers_from_malformed_current, setup,
	                                    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
