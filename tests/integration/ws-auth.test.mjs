// WebSocket authentication against a real daemon: the three ways to present a
// token and their precedence, the 4401 closes (bad token, no token in time,
// expiry without renewal), messages before authenticating, and renewing a
// session with `auth` for the same subject only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { decodeJwt, forgeToken, guestTokens, guestToken, refresh, sleep } from '../lib/rest.mjs';
import { WsClient, connectAuthed } from '../lib/ws-client.mjs';

// Sleeps until the wall clock reaches unixSeconds (a token's iat/exp scale).
async function sleepUntil(unixSeconds) {
  await sleep(Math.max(0, unixSeconds * 1000 - Date.now()));
}

describe('presenting a token', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({ settings: { guest_access: 'on', auth_timeout: 1 } });
  });
  after(() => stopAndCheck(daemon));

  test('an Authorization header authenticates the upgrade', async () => {
    const tokens = await guestTokens(daemon, 'sender');
    const claims = decodeJwt(tokens.access_token).payload;
    const client = await connectAuthed(daemon, tokens.access_token, 'header');
    try {
      assert.match(client.auth.id, /^[0-9a-f]{16}$/);
      assert.equal(client.auth.sub, claims.sub);
      assert.deepEqual(client.auth.roles, ['sender']);
      assert.equal(client.auth.expiresAt, claims.exp);
    } finally {
      client.close();
    }
  });

  test('an access_token query parameter authenticates the upgrade', async () => {
    const token = await guestToken(daemon, 'receiver');
    const client = await connectAuthed(daemon, token, 'query');
    try {
      assert.equal(client.auth.sub, decodeJwt(token).payload.sub);
      assert.deepEqual(client.auth.roles, ['receiver']);
    } finally {
      client.close();
    }
  });

  test('a first auth message authenticates the connection', async () => {
    const token = await guestToken(daemon, 'sender');
    const client = await connectAuthed(daemon, token, 'message');
    try {
      assert.equal(client.auth.sub, decodeJwt(token).payload.sub);
      assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
    } finally {
      client.close();
    }
  });

  test('each connection gets its own peer id', async () => {
    const token = await guestToken(daemon, 'sender');
    const first = await connectAuthed(daemon, token);
    const second = await connectAuthed(daemon, token);
    try {
      assert.notEqual(first.auth.id, second.auth.id);
      assert.equal(first.auth.sub, second.auth.sub);
    } finally {
      first.close();
      second.close();
    }
  });

  test('the header wins over the query parameter', async () => {
    const headerToken = await guestToken(daemon, 'sender');
    const queryToken = await guestToken(daemon, 'receiver');
    const client = await WsClient.connect(`${daemon.wsUrl}?access_token=${queryToken}`, {
      headers: { Authorization: `Bearer ${headerToken}` },
    });
    try {
      const auth = await client.nextMessage('authenticated');
      assert.equal(auth.sub, decodeJwt(headerToken).payload.sub);
    } finally {
      client.close();
    }
  });

  test('a forged token in the query upgrades, then closes 4401 with the reason', async () => {
    const token = forgeToken(await guestToken(daemon, 'sender'));
    const client = await WsClient.connect(`${daemon.wsUrl}?access_token=${token}`);
    const { code, reason } = await client.waitClose();
    assert.equal(code, 4401);
    assert.match(reason, /signature/);
  });

  test('a malformed token in the header upgrades, then closes 4401', async () => {
    const client = await WsClient.connect(daemon.wsUrl, {
      headers: { Authorization: 'Bearer not-a-token' },
    });
    const { code, reason } = await client.waitClose();
    assert.equal(code, 4401);
    assert.ok(reason.length > 0, 'the close carries a reason');
  });

  test('no authentication within auth_timeout closes 4401', async () => {
    const client = await WsClient.connect(daemon.wsUrl);
    const started = Date.now();
    const { code, reason } = await client.waitClose(3000);
    assert.equal(code, 4401);
    assert.equal(reason, 'authentication timeout');
    assert.ok(Date.now() - started >= 800, 'not before the timeout');
  });

  test('a message before authenticating gets unauthorized and the connection stays open', async () => {
    const client = await WsClient.connect(daemon.wsUrl);
    try {
      const error = await client.request({ type: 'join', room: 'lobby', id: 'early' }, 'error');
      assert.equal(error.code, 'unauthorized');
      assert.equal(error.ref, 'early');
      client.send({ type: 'auth', token: await guestToken(daemon, 'sender') });
      await client.nextMessage('authenticated');
      assert.equal((await client.request({ type: 'join', room: 'lobby' }, 'joined')).room, 'lobby');
    } finally {
      client.close();
    }
  });

  test('re-auth for another subject is forbidden and keeps the session', async () => {
    const client = await connectAuthed(daemon, await guestToken(daemon, 'sender'));
    try {
      const other = await guestToken(daemon, 'sender');
      const error = await client.request({ type: 'auth', token: other, id: 7 }, 'error');
      assert.equal(error.code, 'forbidden');
      assert.equal(error.ref, 7);
      const joined = await client.request({ type: 'join', room: 'still-me' }, 'joined');
      assert.equal(joined.id, client.auth.id);
    } finally {
      client.close();
    }
  });

  test('re-auth with an invalid token is unauthorized and keeps the session', async () => {
    const token = await guestToken(daemon, 'sender');
    const client = await connectAuthed(daemon, token);
    try {
      const error = await client.request({ type: 'auth', token: forgeToken(token) }, 'error');
      assert.equal(error.code, 'unauthorized');
      assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');
    } finally {
      client.close();
    }
  });

  test('auth without a token string is bad_request', async () => {
    const client = await WsClient.connect(daemon.wsUrl);
    try {
      const error = await client.request({ type: 'auth', token: 5 }, 'error');
      assert.equal(error.code, 'bad_request');
    } finally {
      client.close();
    }
  });
});

describe('token expiry on an open session', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({
      settings: { guest_access: 'on', access_token_ttl: 2, token_leeway: 0 },
    });
  });
  after(() => stopAndCheck(daemon));

  test('without renewal the session closes 4401 token expired', async () => {
    const token = await guestToken(daemon, 'sender');
    const { exp } = decodeJwt(token).payload;
    const client = await connectAuthed(daemon, token);
    const { code, reason } = await client.waitClose(4000);
    assert.equal(code, 4401);
    assert.equal(reason, 'token expired');
    assert.ok(Date.now() >= (exp - 1) * 1000, 'not long before exp');
  });

  test('re-auth with a fresh token for the same subject extends the session', async () => {
    const first = await guestTokens(daemon, 'sender');
    const firstClaims = decodeJwt(first.access_token).payload;
    const client = await connectAuthed(daemon, first.access_token);
    try {
      // A second later the refreshed token expires at least a second later too.
      await sleepUntil(firstClaims.iat + 1.1);
      const fresh = await refresh(daemon, first.refresh_token);
      assert.equal(fresh.status, 200);
      const freshClaims = decodeJwt(fresh.json.access_token).payload;
      assert.ok(freshClaims.exp > firstClaims.exp);

      const renew = { type: 'auth', token: fresh.json.access_token, id: 'renew' };
      const renewed = await client.request(renew, 'authenticated');
      assert.equal(renewed.ref, 'renew');
      assert.equal(renewed.id, client.auth.id);
      assert.equal(renewed.expiresAt, freshClaims.exp);

      await sleepUntil(firstClaims.exp + 0.5);
      assert.ok(client.isOpen, 'still open after the first token expired');
      assert.equal((await client.request({ type: 'ping' }, 'pong')).type, 'pong');

      const { code, reason } = await client.waitClose((freshClaims.exp + 2) * 1000 - Date.now());
      assert.equal(code, 4401);
      assert.equal(reason, 'token expired');
    } finally {
      client.close();
    }
  });

  test('an expired token in the query upgrades, then closes 4401 token expired', async () => {
    const token = await guestToken(daemon, 'receiver');
    await sleepUntil(decodeJwt(token).payload.exp + 1.1);
    const client = await WsClient.connect(`${daemon.wsUrl}?access_token=${token}`);
    const { code, reason } = await client.waitClose();
    assert.equal(code, 4401);
    assert.equal(reason, 'token expired');
  });
});
