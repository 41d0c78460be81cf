// The token endpoints of the REST API against a real daemon: login, refresh
// rotation and reuse detection, logout, guest tokens and /api/v1/me, with
// every rejection the protocol reference lists for them.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import {
  addUser,
  ctlOk,
  decodeJwt,
  forgeToken,
  get,
  guestTokens,
  login,
  post,
  refresh,
  sleep,
  uniqueName,
} from '../lib/rest.mjs';

const PASSWORD = 'correct horse battery';

function assertTokenResponse(response) {
  assert.equal(response.status, 200, response.text);
  assert.match(response.headers.get('content-type'), /^application\/json/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  const body = response.json;
  assert.equal(body.token_type, 'Bearer');
  assert.equal(body.expires_in, 600);
  assert.match(body.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(typeof body.access_token, 'string');
  return body;
}

function rolesOf(payload) {
  return (Array.isArray(payload.role) ? payload.role : [payload.role]).slice().sort();
}

function assertError(response, status, code) {
  assert.equal(response.status, status, response.text);
  assert.equal(response.json?.error, code, response.text);
  assert.equal(typeof response.json.error_description, 'string');
}

function assertBearerChallenge(response, tokenError) {
  const challenge = response.headers.get('www-authenticate');
  assert.ok(challenge, 'a 401 carries WWW-Authenticate');
  assert.match(challenge, /^Bearer realm="icegate"/);
  if (tokenError) assert.match(challenge, /error="invalid_token"/);
  else assert.doesNotMatch(challenge, /invalid_token/);
}

describe('login and tokens', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({
      settings: { guest_access: 'on', login_attempts_per_minute: 100 },
    });
  });
  after(() => stopAndCheck(daemon));

  test('login returns the token response with the documented claims', async () => {
    const name = uniqueName('alice');
    addUser(daemon, name, PASSWORD);
    const body = assertTokenResponse(await login(daemon, name, PASSWORD));
    const { header, payload } = decodeJwt(body.access_token);
    assert.equal(header.alg, 'HS256');
    assert.equal(typeof header.kid, 'string');
    assert.ok(header.kid.length > 0);
    assert.equal(payload.iss, 'icegate');
    assert.ok(payload.aud === 'icegate' || payload.aud.includes('icegate'));
    assert.equal(payload.sub, name);
    assert.deepEqual(rolesOf(payload), ['receiver', 'sender']);
    assert.equal(payload.room, undefined);
    for (const claim of ['iat', 'nbf', 'exp']) assert.equal(typeof payload[claim], 'number');
    assert.equal(payload.exp - payload.iat, 600);
    assert.ok(Math.abs(payload.iat - Date.now() / 1000) < 30);
    assert.equal(typeof payload.jti, 'string');
    assert.ok(payload.jti.length > 0);
  });

  test('a user with one role gets only that role', async () => {
    const name = uniqueName('recv');
    addUser(daemon, name, PASSWORD, 'receiver');
    const body = assertTokenResponse(await login(daemon, name, PASSWORD));
    assert.deepEqual(rolesOf(decodeJwt(body.access_token).payload), ['receiver']);
  });

  test('two logins get different tokens', async () => {
    const name = uniqueName('twice');
    addUser(daemon, name, PASSWORD);
    const first = (await login(daemon, name, PASSWORD)).json;
    const second = (await login(daemon, name, PASSWORD)).json;
    assert.notEqual(first.refresh_token, second.refresh_token);
    assert.notEqual(decodeJwt(first.access_token).payload.jti, decodeJwt(second.access_token).payload.jti);
  });

  test('wrong password and unknown user are the same 401 invalid_credentials', async () => {
    const name = uniqueName('bob');
    addUser(daemon, name, PASSWORD);
    const wrong = await login(daemon, name, 'not the password');
    const unknown = await login(daemon, uniqueName('nobody'), PASSWORD);
    for (const response of [wrong, unknown]) {
      assertError(response, 401, 'invalid_credentials');
      assertBearerChallenge(response, false);
    }
    assert.equal(wrong.json.error_description, unknown.json.error_description);
    assert.equal(wrong.text, unknown.text);
  });

  test('a disabled user gets 403 account_disabled', async () => {
    const name = uniqueName('carol');
    addUser(daemon, name, PASSWORD);
    ctlOk(daemon, ['user', 'disable', name]);
    assertError(await login(daemon, name, PASSWORD), 403, 'account_disabled');
  });

  const badLogins = {
    'malformed JSON': '{"username": "a", "password": ',
    'a JSON array': '["a", "b"]',
    'an empty body': '',
    'a missing username': JSON.stringify({ password: PASSWORD }),
    'a missing password': JSON.stringify({ username: 'someone' }),
    'a numeric username': JSON.stringify({ username: 42, password: PASSWORD }),
    'a null password': JSON.stringify({ username: 'someone', password: null }),
    'an array password': JSON.stringify({ username: 'someone', password: [PASSWORD] }),
  };
  for (const [what, body] of Object.entries(badLogins)) {
    test(`login with ${what} is 400 invalid_request`, async () => {
      const response = await post(daemon, '/api/v1/auth/login', body, {
        'Content-Type': 'application/json',
      });
      assertError(response, 400, 'invalid_request');
    });
  }

  test('refresh rotates; reusing the old token revokes the new one too', async () => {
    const name = uniqueName('dave');
    addUser(daemon, name, PASSWORD);
    const first = (await login(daemon, name, PASSWORD)).json;

    const second = assertTokenResponse(await refresh(daemon, first.refresh_token));
    assert.notEqual(second.refresh_token, first.refresh_token);
    assert.equal(decodeJwt(second.access_token).payload.sub, name);
    const me = await get(daemon, '/api/v1/me', { Authorization: `Bearer ${second.access_token}` });
    assert.equal(me.status, 200);

    const reused = await refresh(daemon, first.refresh_token);
    assertError(reused, 401, 'invalid_token');
    assertBearerChallenge(reused, true);
    assert.match(reused.json.error_description, /reuse/i);

    const revoked = await refresh(daemon, second.refresh_token);
    assertError(revoked, 401, 'invalid_token');
    assert.match(revoked.json.error_description, /revoked/i);
  });

  test('refresh with an unknown token is 401 invalid_token', async () => {
    const response = await refresh(daemon, randomBytes(32).toString('base64url'));
    assertError(response, 401, 'invalid_token');
    assertBearerChallenge(response, true);
  });

  test('refresh with a malformed token string is 401 invalid_token', async () => {
    assertError(await refresh(daemon, 'short'), 401, 'invalid_token');
  });

  test('refresh without refresh_token is 400 invalid_request', async () => {
    assertError(await post(daemon, '/api/v1/auth/refresh', {}), 400, 'invalid_request');
  });

  test('refresh with a numeric refresh_token is 400 invalid_request', async () => {
    assertError(await refresh(daemon, 12345), 400, 'invalid_request');
  });

  test('logout is 204 and the refresh token then fails', async () => {
    const name = uniqueName('erin');
    addUser(daemon, name, PASSWORD);
    const tokens = (await login(daemon, name, PASSWORD)).json;
    const rotated = (await refresh(daemon, tokens.refresh_token)).json;
    const response = await post(daemon, '/api/v1/auth/logout', { refresh_token: rotated.refresh_token });
    assert.equal(response.status, 204);
    assert.equal(response.text, '');
    assertError(await refresh(daemon, rotated.refresh_token), 401, 'invalid_token');
  });

  test('logout with an unknown token is 401 invalid_token', async () => {
    const response = await post(daemon, '/api/v1/auth/logout', {
      refresh_token: randomBytes(32).toString('base64url'),
    });
    assertError(response, 401, 'invalid_token');
  });

  test('logout without refresh_token is 400 invalid_request', async () => {
    assertError(await post(daemon, '/api/v1/auth/logout', { token: 'x' }), 400, 'invalid_request');
  });

  test('guest tokens name a guest subject and carry the asked role and room', async () => {
    const sender = await guestTokens(daemon, 'sender');
    assert.equal(sender.token_type, 'Bearer');
    assert.match(sender.refresh_token, /^[A-Za-z0-9_-]{43}$/);
    const senderClaims = decodeJwt(sender.access_token).payload;
    assert.match(senderClaims.sub, /^guest:[0-9a-f]+$/);
    assert.deepEqual(rolesOf(senderClaims), ['sender']);
    assert.equal(senderClaims.room, undefined);

    const receiver = await guestTokens(daemon, 'receiver', 'lobby-1');
    const receiverClaims = decodeJwt(receiver.access_token).payload;
    assert.deepEqual(rolesOf(receiverClaims), ['receiver']);
    assert.equal(receiverClaims.room, 'lobby-1');
    assert.notEqual(receiverClaims.sub, senderClaims.sub);
  });

  test('a guest refresh token rotates like a user one', async () => {
    const guest = await guestTokens(daemon, 'receiver', 'lobby-2');
    const rotated = assertTokenResponse(await refresh(daemon, guest.refresh_token));
    const claims = decodeJwt(rotated.access_token).payload;
    assert.equal(claims.sub, decodeJwt(guest.access_token).payload.sub);
    assert.equal(claims.room, 'lobby-2');
  });

  const badGuests = {
    'an unknown role': { role: 'admin' },
    'no role': {},
    'a numeric role': { role: 1 },
    'a room with a space': { role: 'sender', room: 'a b' },
    'a room of 65 characters': { role: 'sender', room: 'r'.repeat(65) },
    'an empty room': { role: 'sender', room: '' },
  };
  for (const [what, body] of Object.entries(badGuests)) {
    test(`guest with ${what} is 400 invalid_request`, async () => {
      assertError(await post(daemon, '/api/v1/auth/guest', body), 400, 'invalid_request');
    });
  }

  test('/api/v1/me describes the bearer', async () => {
    const guest = await guestTokens(daemon, 'receiver', 'hall');
    const response = await get(daemon, '/api/v1/me', { Authorization: `Bearer ${guest.access_token}` });
    assert.equal(response.status, 200, response.text);
    const claims = decodeJwt(guest.access_token).payload;
    assert.equal(response.json.sub, claims.sub);
    assert.deepEqual(response.json.roles, ['receiver']);
    assert.equal(response.json.room, 'hall');
    assert.equal(response.json.exp, claims.exp);
  });

  // RFC 6750 section 3.1: a request without credentials gets the challenge
  // without an error code, so the body names the problem as missing_token.
  test('/api/v1/me without a token is 401 missing_token', async () => {
    const response = await get(daemon, '/api/v1/me');
    assertError(response, 401, 'missing_token');
    assertBearerChallenge(response, false);
  });

  test('/api/v1/me with another auth scheme is 401 missing_token', async () => {
    const response = await get(daemon, '/api/v1/me', { Authorization: 'Basic YWxpY2U6c2VjcmV0' });
    assertError(response, 401, 'missing_token');
    assertBearerChallenge(response, false);
  });

  test('/api/v1/me with a forged signature is 401 invalid_token', async () => {
    const token = forgeToken((await guestTokens(daemon, 'sender')).access_token);
    const response = await get(daemon, '/api/v1/me', { Authorization: `Bearer ${token}` });
    assertError(response, 401, 'invalid_token');
    assertBearerChallenge(response, true);
  });

  test('/api/v1/me with garbage for a token is 401 invalid_token', async () => {
    const response = await get(daemon, '/api/v1/me', { Authorization: 'Bearer not.a.token' });
    assertError(response, 401, 'invalid_token');
    assertBearerChallenge(response, true);
  });
});

describe('login rate limit', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({ settings: { login_attempts_per_minute: 3 } });
  });
  after(() => stopAndCheck(daemon));

  test('failures past login_attempts_per_minute get 429 with Retry-After', async () => {
    const name = uniqueName('frank');
    addUser(daemon, name, PASSWORD);
    for (let i = 0; i < 3; i++) {
      assertError(await login(daemon, name, 'wrong'), 401, 'invalid_credentials');
    }
    const limited = await login(daemon, name, 'wrong');
    assertError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers.get('retry-after'));
    assert.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After ${retryAfter}`);

    // The right password does not get through while the address is limited.
    assertError(await login(daemon, name, PASSWORD), 429, 'rate_limited');
  });
});

describe('guest access off', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon();
  });
  after(() => stopAndCheck(daemon));

  test('guest tokens are 403 guest_access_disabled by default', async () => {
    assertError(await post(daemon, '/api/v1/auth/guest', { role: 'sender' }), 403, 'guest_access_disabled');
  });
});

describe('short token lifetimes', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({
      settings: { guest_access: 'on', access_token_ttl: 1, refresh_token_ttl: 1, token_leeway: 0 },
    });
  });
  after(() => stopAndCheck(daemon));

  test('/api/v1/me with an expired token is 401 invalid_token', async () => {
    const tokens = await guestTokens(daemon, 'sender');
    assert.equal(tokens.expires_in, 1);
    await sleep(2100);
    const response = await get(daemon, '/api/v1/me', { Authorization: `Bearer ${tokens.access_token}` });
    assertError(response, 401, 'invalid_token');
    assertBearerChallenge(response, true);
    assert.match(response.json.error_description, /expired/i);
  });

  test('refresh with an expired refresh token is 401 invalid_token', async () => {
    const tokens = await guestTokens(daemon, 'sender');
    await sleep(2100);
    const response = await refresh(daemon, tokens.refresh_token);
    assertError(response, 401, 'invalid_token');
    assert.match(response.json.error_description, /expired/i);
  });
});

describe('log hygiene', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon();
  });
  after(() => daemon.stop());

  test('a login name with a line break is not copied into the log', async () => {
    const response = await post(daemon, '/api/v1/auth/login', {
      username: 'mallory\n2030-01-01T00:00:00.000Z info login for user admin',
      password: 'irrelevant',
    });
    assert.equal(response.status, 401);
    await sleep(100);
    assert.doesNotMatch(daemon.log(), /mallory/);
    assert.match(daemon.log(), /login failed for user '\(not a valid name\)'/);
  });
});
