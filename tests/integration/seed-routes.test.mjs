// The routes kept from the seed server (/create/:role, /refresh, /first) and
// the generic routing answers (/healthz, 404, 405 with Allow), against a real
// daemon. Old clients depend on these exact shapes.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { call, decodeJwt, get, guestToken, post } from '../lib/rest.mjs';
import { connectJoined } from '../lib/ws-client.mjs';

function assertTokenResponse(response, role) {
  assert.equal(response.status, 200, response.text);
  assert.equal(response.json.token_type, 'Bearer');
  assert.match(response.json.refresh_token, /^[A-Za-z0-9_-]{43}$/);
  const claims = decodeJwt(response.json.access_token).payload;
  assert.match(claims.sub, /^guest:[0-9a-f]+$/);
  assert.deepEqual([claims.role].flat(), [role]);
  return claims;
}

describe('seed routes with guest access on', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({ settings: { guest_access: 'on' } });
  });
  after(() => stopAndCheck(daemon));

  test('GET /create/1 issues a sender guest token', async () => {
    assertTokenResponse(await get(daemon, '/create/1'), 'sender');
  });

  test('POST /create/1 issues a sender guest token', async () => {
    assertTokenResponse(await post(daemon, '/create/1'), 'sender');
  });

  test('GET /create/0 issues a receiver guest token', async () => {
    assertTokenResponse(await get(daemon, '/create/0'), 'receiver');
  });

  test('POST /create/0 issues a receiver guest token', async () => {
    assertTokenResponse(await post(daemon, '/create/0'), 'receiver');
  });

  test('/create/0?room= puts the room in the token', async () => {
    const claims = assertTokenResponse(await get(daemon, '/create/0?room=studio.7'), 'receiver');
    assert.equal(claims.room, 'studio.7');
  });

  test('/create/1 with a bad room is 400', async () => {
    const response = await get(daemon, '/create/1?room=bad%20room');
    assert.equal(response.status, 400);
    assert.equal(response.json.error, 'invalid_request');
  });

  test('/create/2 is 400', async () => {
    const response = await get(daemon, '/create/2');
    assert.equal(response.status, 400);
    assert.equal(response.json.error, 'invalid_request');
  });

  test('/create/sender is 400', async () => {
    assert.equal((await get(daemon, '/create/sender')).status, 400);
  });

  test('POST /refresh accepts a JSON body', async () => {
    const tokens = (await get(daemon, '/create/1')).json;
    const response = await post(daemon, '/refresh', { refresh_token: tokens.refresh_token });
    assertTokenResponse(response, 'sender');
    assert.notEqual(response.json.refresh_token, tokens.refresh_token);
  });

  test('POST /refresh accepts a form body', async () => {
    const tokens = (await get(daemon, '/create/0')).json;
    const response = await post(daemon, '/refresh', `refresh_token=${encodeURIComponent(tokens.refresh_token)}`, {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    assertTokenResponse(response, 'receiver');
  });

  test('POST /refresh with a used token is 401 invalid_token', async () => {
    const tokens = (await get(daemon, '/create/0')).json;
    assert.equal((await post(daemon, '/refresh', { refresh_token: tokens.refresh_token })).status, 200);
    const reused = await post(daemon, '/refresh', { refresh_token: tokens.refresh_token });
    assert.equal(reused.status, 401);
    assert.equal(reused.json.error, 'invalid_token');
  });

  test('POST /refresh without a token is 400 invalid_request', async () => {
    const response = await post(daemon, '/refresh', 'nothing=here', {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    assert.equal(response.status, 400);
    assert.equal(response.json.error, 'invalid_request');
  });

  test('GET /first is false until a sender joins, then true', async () => {
    const room = 'first-check';
    assert.equal((await get(daemon, `/first?room=${room}`)).json, false);

    const receiver = await connectJoined(daemon, await guestToken(daemon, 'receiver'), room);
    try {
      assert.equal((await get(daemon, `/first?room=${room}`)).json, false, 'a receiver is not a sender');
      const sender = await connectJoined(daemon, await guestToken(daemon, 'sender'), room);
      try {
        const first = await get(daemon, `/first?room=${room}`);
        assert.equal(first.status, 200);
        assert.equal(first.json, true);
        assert.equal((await get(daemon, '/first?room=elsewhere')).json, false);
      } finally {
        sender.close();
        await sender.closed;
      }
    } finally {
      receiver.close();
    }
  });

  test('GET /first without a room looks at the default room', async () => {
    assert.equal((await get(daemon, '/first')).json, false);
    const sender = await connectJoined(daemon, await guestToken(daemon, 'sender'), 'default');
    try {
      assert.equal((await get(daemon, '/first')).json, true);
    } finally {
      sender.close();
    }
  });

  test('GET /healthz is 200 ok', async () => {
    const response = await get(daemon, '/healthz');
    assert.equal(response.status, 200);
    assert.equal(response.text.trim(), 'ok');
  });

  const pages = [
    ['/', /^text\/html/],
    ['/sender', /^text\/html/],
    ['/receiver', /^text\/html/],
    ['/js/icegate.js', /^(text|application)\/javascript/],
  ];
  for (const [path, type] of pages) {
    test(`GET ${path} serves the demo file`, async () => {
      const response = await get(daemon, path);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type'), type);
      assert.ok(response.text.length > 0);
    });
  }

  test('a missing file under /js is 404', async () => {
    assert.equal((await get(daemon, '/js/no-such-file.js')).status, 404);
  });

  test('an unknown path is 404 not_found', async () => {
    const response = await get(daemon, '/api/v1/nothing-here');
    assert.equal(response.status, 404);
    assert.equal(response.json.error, 'not_found');
  });

  const wrongMethods = [
    ['GET', '/api/v1/auth/login', 'POST'],
    ['DELETE', '/api/v1/auth/refresh', 'POST'],
    ['POST', '/api/v1/me', 'GET'],
    ['PUT', '/create/1', 'GET'],
    ['POST', '/first', 'GET'],
    ['GET', '/refresh', 'POST'],
  ];
  for (const [method, path, allowed] of wrongMethods) {
    test(`${method} ${path} is 405 with Allow`, async () => {
      const response = await call(daemon, method, path);
      assert.equal(response.status, 405);
      const allow = response.headers.get('allow');
      assert.ok(allow, 'Allow header present');
      assert.ok(allow.split(/\s*,\s*/).includes(allowed), `Allow: ${allow}`);
      assert.ok(!allow.split(/\s*,\s*/).includes(method), `Allow: ${allow}`);
    });
  }
});

describe('seed routes with guest access off', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon();
  });
  after(() => stopAndCheck(daemon));

  test('/create/1 is 403 guest_access_disabled', async () => {
    const response = await get(daemon, '/create/1');
    assert.equal(response.status, 403);
    assert.equal(response.json.error, 'guest_access_disabled');
  });

  test('POST /create/0 is 403 guest_access_disabled', async () => {
    assert.equal((await post(daemon, '/create/0')).status, 403);
  });
});
