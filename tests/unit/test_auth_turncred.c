/*
 * test_auth_turncred.c: TURN credentials derived from the JWT key ring. The
 * window arithmetic; the derived secret and the password checked against
 * values computed here with OpenSSL's HMAC() directly and against vectors
 * computed offline with the openssl command line (coturn must compute the
 * same bytes); the credential's shape and lifetime; the subjects refused; and
 * the turn_secret rows kept for each key and window, across window changes
 * and rotations, without touching other realms.
 */
#include "db_test_fixture.h"

#include "auth/token.h"
#include "auth/turncred.h"
#include "common/base64.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define NOW    1700000000
#define WINDOW 86400

static void make_ring(struct token_keyring *ring, int keys)
{
	memset(ring, 0, sizeof(*ring));
	for (int k = 0; k < keys; k++) {
		unsigned char secret[32];
		for (int i = 0; i < 32; i++)
			secret[i] = (unsigned char)(i + 0x40 * k);
		assert_int_equal(token_keyring_add(ring, secret, sizeof(secret)), 0);
	}
}

/* The derivation, computed here from its definition. */
static void expected_secret(const struct token_key *key, const char *realm, long long window,
                            char out[TURNCRED_SECRET_HEX])
{
	unsigned char input[256];
	size_t used = 0;
	memcpy(input, "icegate-turn-secret/v1", 22);
	used = 22;
	input[used++] = '\0';
	memcpy(input + used, realm, strlen(realm));
	used += strlen(realm);
	input[used++] = '\0';
	used += (size_t)sprintf((char *)input + used, "%lld", window);
	unsigned char mac[32];
	unsigned int length = 0;
	assert_non_null(
	    HMAC(EVP_sha256(), key->secret, (int)key->secret_length, input, used, mac, &length));
	assert_int_equal(length, 32);
	for (int i = 0; i < 32; i++)
		sprintf(out + 2 * i, "%02x", mac[i]);
}

static void expected_password(const char *secret, const char *username, char *out)
{
	unsigned char mac[20];
	unsigned int length = 0;
	assert_non_null(HMAC(EVP_sha1(), secret, (int)strlen(secret),
	                     (const unsigned char *)username, strlen(username), mac, &length));
	assert_int_equal(length, 20);
	b64_encode(mac, length, out, 0);
}

static void test_window_arithmetic(void **state)
{
	(void)state;
	assert_int_equal(turncred_window(0, 600), 0);
	assert_int_equal(turncred_window(599, 600), 0);
	assert_int_equal(turncred_window(600, 600), 1);
	assert_int_equal(turncred_window(NOW, WINDOW), 19675);
	assert_int_equal(turncred_window(19676LL * WINDOW - 1, WINDOW), 19675);
	assert_int_equal(turncred_window(19676LL * WINDOW, WINDOW), 19676);
	assert_int_equal(turncred_window(-1, 600), -1);
	assert_int_equal(turncred_window(-600, 600), -1);
	assert_int_equal(turncred_window(-601, 600), -2);
	assert_int_equal(turncred_window(NOW, 0), 0);
}

static void test_derive_matches_independent_hmac(void **state)
{
	(void)state;
	struct token_keyring ring;
	make_ring(&ring, 2);
	char ours[TURNCRED_SECRET_HEX], theirs[TURNCRED_SECRET_HEX];
	for (int k = 0; k < 2; k++) {
		turncred_derive_secret(&ring.keys[k], "turn.example.org", 123, ours);
		expected_secret(&ring.keys[k], "turn.example.org", 123, theirs);
		assert_string_equal(ours, theirs);
	}
}

static void test_derive_known_vector(void **state)
{
	(void)state;
	struct token_key key = {.secret_length = 32};
	for (int i = 0; i < 32; i++)
		key.secret[i] = (unsigned char)i;
	/* printf 'icegate-turn-secret/v1\000icegate\000%s' 19675 | openssl dgst
	 *   -sha256 -mac HMAC -macopt
	 *   hexkey:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f */
	char secret[TURNCRED_SECRET_HEX];
	turncred_derive_secret(&key, "icegate", turncred_window(NOW, WINDOW), secret);
	assert_string_equal(secret,
	                    "86647930d37bc0aa3ffa3099952d2c39790c92ef2d65ace3d1f3397c3403de82");
}

static void test_derive_separates_realm_window_and_key(void **state)
{
	(void)state;
	struct token_keyring ring;
	make_ring(&ring, 2);
	char base[TURNCRED_SECRET_HEX], other[TURNCRED_SECRET_HEX];
	turncred_derive_secret(&ring.keys[0], "icegate", 10, base);
	turncred_derive_secret(&ring.keys[0], "icegate2", 10, other);
	assert_string_not_equal(base, other);
	turncred_derive_secret(&ring.keys[0], "icegate", 11, other);
	assert_string_not_equal(base, other);
	turncred_derive_secret(&ring.keys[1], "icegate", 10, other);
	assert_string_not_equal(base, other);
	/* The NUL between realm and window keeps ("a", 11) apart from ("a1", 1). */
	turncred_derive_secret(&ring.keys[0], "a", 11, base);
	turncred_derive_secret(&ring.keys[0], "a1", 1, other);
	assert_string_not_equal(base, other);
}

static void test_password_formula_draft_vector(void **state)
{
	(void)state;
	/* Checks the independent formula itself: printf '%s' 1700003600:alice |
	 * openssl dgst -sha1 -mac HMAC -macopt key:north -binary | base64 */
	char password[TURNCRED_PASSWORD_MAX];
	expected_password("north", "1700003600:alice", password);
	assert_string_equal(password, "wjwSXO2ch1B6VaLTLMy2Avn5O9o=");
}

static void test_mint_credential(void **state)
{
	(void)state;
	struct token_keyring ring;
	make_ring(&ring, 2);
	struct turncred credential;
	assert_int_equal(turncred_mint(&ring, "icegate", WINDOW, 3600, "alice", NOW, &credential),
	                 0);
	assert_string_equal(credential.username, "1700003600:alice");
	assert_int_equal(credential.expires_at, NOW + 3600);
	assert_int_equal(credential.ttl, 3600);
	/* Signed with the current key's current window. */
	char secret[TURNCRED_SECRET_HEX], password[TURNCRED_PASSWORD_MAX];
	expected_secret(&ring.keys[0], "icegate", 19675, secret);
	expected_password(secret, credential.username, password);
	assert_string_equal(credential.password, password);
	assert_int_equal(strlen(credential.password), 28);
	assert_int_equal(credential.password[27], '=');
}

static void test_mint_known_vector(void **state)
{
	(void)state;
	struct token_keyring ring;
	memset(&ring, 0, sizeof(ring));
	unsigned char key[32];
	for (int i = 0; i < 32; i++)
		key[i] = (unsigned char)i;
	assert_int_equal(token_keyring_add(&ring, key, sizeof(key)), 0);
	struct turncred credential;
	assert_int_equal(turncred_mint(&ring, "icegate", WINDOW, 3600, "alice", NOW, &credential),
	                 0);
	/* printf '%s' 1700003600:alice | openssl dgst -sha1 -mac HMAC -macopt
	 *   key:86647930d37bc0aa3ffa3099952d2c39790c92ef2d65ace3d1f3397c3403de82
	 *   -binary | base64 (the key is the derived secret of
	 *   test_derive_known_vector) */
	assert_string_equal(credential.password, "G580urJXXhzXTZv9p61bORZnbgM=");
}

static void test_ttl_capped_at_window(void **state)
{
	(void)state;
	struct token_keyring ring;
	make_ring(&ring, 1);
	struct turncred credential;
	assert_int_equal(turncred_mint(&ring, "icegate", 600, 3600, "alice", NOW, &credential), 0);
	assert_int_equal(credential.ttl, 600);
	assert_int_equal(credential.expires_at, NOW + 600);
	assert_string_equal(credential.username, "1700000600:alice");
}

static void test_mint_refuses_bad_ttl_and_ring(void **state)
{
	(void)state;
	struct token_keyring ring, empty;
	make_ring(&ring, 1);
	memset(&empty, 0, sizeof(empty));
	struct turncred credential;
	assert_int_equal(turncred_mint(&ring, "icegate", WINDOW, 0, "alice", NOW, &credential), -1);
	assert_int_equal(turncred_mint(&ring, "icegate", 0, 3600, "alice", NOW, &credential), -1);
	assert_int_equal(turncred_mint(&empty, "icegate", WINDOW, 3600, "alice", NOW, &credential),
	                 -1);
	assert_string_equal(credential.password, "");
}

static void test_subject_validation(void **state)
{
	(void)state;
	struct token_keyring ring;
	make_ring(&ring, 1);
	struct turncred credential;
	char longest[STORE_SUBJECT_MAX], too_long[STORE_SUBJECT_MAX + 1];
	memset(longest, 's', sizeof(longest) - 1);
	longest[sizeof(longest) - 1] = '\0';
	memset(too_long, 's', sizeof(too_long) - 1);
	too_long[sizeof(too_long) - 1] = '\0';
	assert_int_equal(turncred_mint(&ring, "icegate", WINDOW, 60, longest, NOW, &credential), 0);
	assert_int_equal(
	    turncred_mint(&ring, "icegate", WINDOW, 60, "guest:ab12", NOW, &credential), 0);
	assert_string_equal(credential.username, "1700000060:guest:ab12");

	static const char *const bad[] = {"", "new\nline", "tab\t", "del\x7f", "\x1b[31m"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    turncred_mint(&ring, "icegate", WINDOW, 60, bad[i], NOW, &credential), -1);
		assert_string_equal(credential.username, "");
	}
	assert_int_equal(turncred_mint(&ring, "icegate", WINDOW, 60, too_long, NOW, &credential),
	                 -1);
	assert_int_equal(turncred_mint(&ring, "icegate", WINDOW, 60, NULL, NOW, &credential), -1);
}

struct rows {
	char values[8][TURNCRED_SECRET_HEX];
	int count;
};

static void collect(const char *value, void *arg)
{
	struct rows *rows = arg;
	assert_true(rows->count < 8);
	snprintf(rows->values[rows->count++], TURNCRED_SECRET_HEX, "%s", value);
}

static int has_row(const struct rows *rows, const char *value)
{
	for (int i = 0; i < rows->count; i++) {
		if (strcmp(rows->values[i], value) == 0)
			return 1;
	}
	return 0;
}

static struct rows realm_rows(struct db_fixture *fixture, const char *realm)
{
	struct rows rows = {.count = 0};
	assert_int_equal(store_turn_secrets_list(fixture->store, realm, collect, &rows), 0);
	return rows;
}

static void assert_windows(const struct rows *rows, const struct token_key *key, long long window)
{
	char secret[TURNCRED_SECRET_HEX];
	expected_secret(key, "icegate", window, secret);
	assert_true(has_row(rows, secret));
	expected_secret(key, "icegate", window - 1, secret);
	assert_true(has_row(rows, secret));
}

static void test_sync_keeps_current_and_previous_window(void **state)
{
	struct db_fixture *fixture = *state;
	struct token_keyring ring;
	make_ring(&ring, 1);
	sqlite3 *raw = db_fixture_raw(fixture);
	db_fixture_raw_exec(raw, "INSERT INTO turn_secret VALUES ('elsewhere', 'keep me')");
	assert_int_equal(turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW), 0);
	struct rows rows = realm_rows(fixture, "icegate");
	assert_int_equal(rows.count, 2);
	assert_windows(&rows, &ring.keys[0], 19675);

	/* Idempotent. */
	assert_int_equal(turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW), 0);
	assert_int_equal(realm_rows(fixture, "icegate").count, 2);

	/* One window later the oldest is pruned and the new one added. */
	assert_int_equal(
	    turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW + WINDOW), 0);
	rows = realm_rows(fixture, "icegate");
	assert_int_equal(rows.count, 2);
	assert_windows(&rows, &ring.keys[0], 19676);
	char oldest[TURNCRED_SECRET_HEX];
	expected_secret(&ring.keys[0], "icegate", 19674, oldest);
	assert_false(has_row(&rows, oldest));

	assert_int_equal(db_fixture_raw_int(raw, "SELECT count(*) FROM turn_secret WHERE realm = "
	                                         "'elsewhere' AND value = 'keep me'"),
	                 1);
	sqlite3_close(raw);
}

static void test_sync_prunes_stale_rows_of_the_realm(void **state)
{
	struct db_fixture *fixture = *state;
	struct token_keyring ring;
	make_ring(&ring, 1);
	sqlite3 *raw = db_fixture_raw(fixture);
	db_fixture_raw_exec(raw, "INSERT INTO turn_secret VALUES ('icegate', 'a static secret')");
	sqlite3_close(raw);
	assert_int_equal(turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW), 0);
	struct rows rows = realm_rows(fixture, "icegate");
	assert_int_equal(rows.count, 2);
	assert_false(has_row(&rows, "a static secret"));
}

static void test_sync_after_rotation_holds_both_keys(void **state)
{
	struct db_fixture *fixture = *state;
	struct token_keyring ring;
	make_ring(&ring, 2);
	assert_int_equal(turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW), 0);
	struct rows rows = realm_rows(fixture, "icegate");
	assert_int_equal(rows.count, 4);
	assert_windows(&rows, &ring.keys[0], 19675);
	assert_windows(&rows, &ring.keys[1], 19675);

	/* Dropping the previous key (rotate --now) drops its rows. */
	ring.count = 1;
	assert_int_equal(turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW), 0);
	rows = realm_rows(fixture, "icegate");
	assert_int_equal(rows.count, 2);
	assert_windows(&rows, &ring.keys[0], 19675);
}

static void test_sync_refuses_empty_ring(void **state)
{
	struct db_fixture *fixture = *state;
	struct token_keyring ring;
	memset(&ring, 0, sizeof(ring));
	assert_int_equal(turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW), -1);
}

static void test_secret_current(void **state)
{
	struct db_fixture *fixture = *state;
	struct token_keyring ring;
	make_ring(&ring, 1);
	assert_int_equal(turncred_secret_current(fixture->store, &ring, "icegate", WINDOW, NOW), 0);
	assert_int_equal(turncred_sync_secrets(fixture->store, &ring, "icegate", WINDOW, NOW), 0);
	assert_int_equal(turncred_secret_current(fixture->store, &ring, "icegate", WINDOW, NOW), 1);
	assert_int_equal(turncred_secret_current(fixture->store, &ring, "other", WINDOW, NOW), 0);
	/* The window moved on and nobody synced: not ready. */
	assert_int_equal(
	    turncred_secret_current(fixture->store, &ring, "icegate", WINDOW, NOW + WINDOW), 0);
}

#define TEST(name) cmocka_unit_test_setup_teardown(name, db_fixture_setup, db_fixture_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_arithmetic),
	    cmocka_unit_test(test_derive_matches_independent_hmac),
	    cmocka_unit_test(test_derive_known_vector),
	    cmocka_unit_test(test_derive_separates_realm_window_and_key),
	    cmocka_unit_test(test_password_formula_draft_vector),
	    cmocka_unit_test(test_mint_credential),
	    cmocka_unit_test(test_mint_known_vector),
	    cmocka_unit_test(test_ttl_capped_at_window),
	    cmocka_unit_test(test_mint_refuses_bad_ttl_and_ring),
	    cmocka_unit_test(test_subject_validation),
	    TEST(test_sync_keeps_current_and_previous_window),
	    TEST(test_sync_prunes_stale_rows_of_the_realm),
	    TEST(test_sync_after_rotation_holds_both_keys),
	    TEST(test_sync_refuses_empty_ring),
	    TEST(test_secret_current),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
