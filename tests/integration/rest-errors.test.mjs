// The REST API's error contract, endpoint by endpoint, against a real daemon:
// every bad body gets 400 invalid_request in the documented JSON shape, every
// 401 carries a Bearer challenge, body size is capped at 64 KiB, and error
// responses keep the headers a browser-facing API needs.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { call, post } from '../lib/rest.mjs';

let daemon;
before(async () => {
  daemon = await startDaemon({ settings: { guest_access: 'on', login_attempts_per_minute: 100 } });
});
after(() => stopAndCheck(daemon));

function assertErrorShape(response, status, code) {
  assert.equal(response.status, status, response.text);
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  assert.equal(response.headers.get('cache-control'), 'no-store');
  assert.equal(response.headers.get('x-content-type-options'), 'nosniff');
  assert.deepEqual(Object.keys(response.json).sort(), ['error', 'error_description']);
  assert.equal(response.json.error, code);
  assert.equal(typeof response.json.error_description, 'string');
  assert.ok(response.json.error_description.length > 0);
}

const endpoints = {
  '/api/v1/auth/login': { username: 'someone', password: 'something' },
  '/api/v1/auth/refresh': { refresh_token: 'A'.repeat(43) },
  '/api/v1/auth/logout': { refresh_token: 'A'.repeat(43) },
  '/api/v1/auth/guest': { role: 'sender' },
};

const badBodies = {
  'truncated JSON': '{"a":',
  'JSON with trailing garbage': '{} x',
  'a JSON array': '[]',
  'a JSON string': '"text"',
  'JSON null': 'null',
  'an empty body': '',
  'invalid UTF-8': Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
};

describe('bad request bodies', () => {
  for (const path of Object.keys(endpoints)) {
    for (const [what, body] of Object.entries(badBodies)) {
      test(`POST ${path} with ${what} is 400 invalid_request`, async () => {
        const response = await post(daemon, path, body, { 'Content-Type': 'application/json' });
        assertErrorShape(response, 400, 'invalid_request');
      });
    }
  }

  for (const [path, valid] of Object.entries(endpoints)) {
    for (const field of Object.keys(valid)) {
      test(`POST ${path} with a numeric ${field} is 400 invalid_request`, async () => {
        const response = await post(daemon, path, { ...valid, [field]: 1 });
        assertErrorShape(response, 400, 'invalid_request');
      });
      test(`POST ${path} without ${field} is 400 invalid_request`, async () => {
        const body = { ...valid };
        delete body[field];
        const response = await post(daemon, path, body);
        assertErrorShape(response, 400, 'invalid_request');
      });
    }
  }

  test('a duplicated JSON key is 400 invalid_request', async () => {
    const response = await post(daemon, '/api/v1/auth/login', '{"username":"a","username":"b","password":"c"}', {
      'Content-Type': 'application/json',
    });
    assertErrorShape(response, 400, 'invalid_request');
  });
});

describe('every 401 carries a Bearer challenge', () => {
  const unauthorized = [
    ['POST', '/api/v1/auth/login', { username: 'nobody-here', password: 'x' }, 'invalid_credentials'],
    ['POST', '/api/v1/auth/refresh', endpoints['/api/v1/auth/refresh'], 'invalid_token'],
    ['POST', '/api/v1/auth/logout', endpoints['/api/v1/auth/logout'], 'invalid_token'],
    ['GET', '/api/v1/me', undefined, 'missing_token'],
  ];
  for (const [method, path, body, code] of unauthorized) {
    test(`${method} ${path} → 401 ${code}`, async () => {
      const response = await call(daemon, method, path, body);
      assertErrorShape(response, 401, code);
      const challenge = response.headers.get('www-authenticate');
      assert.match(challenge ?? '', /^Bearer realm="icegate"/);
      if (code === 'invalid_token') assert.match(challenge, /error="invalid_token"/);
      if (code === 'missing_token') assert.doesNotMatch(challenge, /error=/);
    });
  }
});

describe('body size', () => {
  test('a body of exactly 64 KiB is read (400 for its content, not 413)', async () => {
    const filler = 'a'.repeat(65536 - JSON.stringify({ username: '', password: 'x' }).length);
    const body = JSON.stringify({ username: filler, password: 'x' });
    assert.equal(body.length, 65536);
    const response = await post(daemon, '/api/v1/auth/login', body, { 'Content-Type': 'application/json' });
    assert.notEqual(response.status, 413);
    assert.ok([400, 401].includes(response.status), `${response.status}`);
  });

  test('a body of 64 KiB + 1 is 413', async () => {
    const filler = 'a'.repeat(65537 - JSON.stringify({ username: '', password: 'x' }).length);
    const body = JSON.stringify({ username: filler, password: 'x' });
    const response = await post(daemon, '/api/v1/auth/login', body, { 'Content-Type': 'application/json' });
    assert.equal(response.status, 413);
  });
});

describe('not found', () => {
  test('404 is JSON not_found', async () => {
    assertErrorShape(await call(daemon, 'GET', '/no/such/thing'), 404, 'not_found');
  });

  test('a query string does not change routing', async () => {
    assertErrorShape(await call(daemon, 'GET', '/api/v1/auth?x=1'), 404, 'not_found');
  });

  test('405 is JSON with Allow', async () => {
    const response = await call(daemon, 'PATCH', '/api/v1/auth/guest');
    assert.equal(response.status, 405);
    assert.equal(response.headers.get('allow'), 'POST');
    assert.equal(typeof response.json.error, 'string');
  });
});
