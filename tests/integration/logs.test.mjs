// What the daemon writes to its log: with log_format = json every line of a
// whole run is one JSON object {time, level, msg}, whatever the message holds;
// the default text lines keep their shape; and neither echoes a secret from a
// request, good or bad (tokens in query strings and headers, passwords,
// refresh tokens, API keys). The harness (daemon.mjs) fails any test whose
// daemon logged a secret the test used; the last tests here check that scan
// itself: it catches a secret and names only its kind.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { createUserAndLogin, startDaemon } from '../lib/daemon.mjs';
import { rawRequest } from '../lib/raw-http.mjs';
import { forgeToken, get, login, post, refresh, uniqueName } from '../lib/rest.mjs';
import { WsClient } from '../lib/ws-client.mjs';

const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const LEVELS = new Set(['debug', 'info', 'warn', 'error']);

// Traffic that makes the daemon log: logins that work and fail (with a name
// that needs JSON escaping), a WebSocket closed for a bad token, an unknown
// API key, a reused refresh token. Returns the user's name.
async function loggedTraffic(daemon) {
  const name = uniqueName('log"q\\b');
  const tokens = await createUserAndLogin(daemon, name, 'log test password');
  assert.equal((await login(daemon, name, 'wrong log test password')).status, 401);
  const socket = await WsClient.connect(`${daemon.wsUrl}?access_token=${forgeToken(tokens.access_token)}`);
  assert.equal((await socket.waitClose()).code, 4401);
  assert.equal((await get(daemon, '/api/v1/turn/credentials?service=turn&username=u&key=NotAKeyAtAll123')).status, 401);
  assert.equal((await refresh(daemon, tokens.refresh_token)).status, 200);
  assert.equal((await refresh(daemon, tokens.refresh_token)).status, 401); // reused
  return name;
}

describe('log_format = json', () => {
  test('every line of a run is a JSON object with time, level and msg', async () => {
    const daemon = await startDaemon({ settings: { log_format: 'json' } });
    let name;
    try {
      name = await loggedTraffic(daemon);
    } finally {
      await stopAndCheck(daemon);
    }
    const lines = daemon.log().split('\n');
    assert.equal(lines.pop(), '', 'the log ends with a newline');
    assert.ok(lines.length >= 6, `a run logs something: ${lines.length} lines`);
    const messages = lines.map((line) => {
      const entry = JSON.parse(line);
      assert.deepEqual(Object.keys(entry), ['time', 'level', 'msg'], line);
      assert.match(entry.time, TIME);
      assert.ok(LEVELS.has(entry.level), line);
      assert.equal(typeof entry.msg, 'string');
      return entry.msg;
    });
    // The quote and backslash in the name survive the round trip.
    assert.ok(messages.includes(`login failed for user '${name}' from 127.0.0.1`), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('icegate ') && m.includes('listening on')));
    assert.equal(messages.at(-1), 'icegate stopped');
  });
});

describe('log_format = text (the default)', () => {
  test('lines are "TIME LEVEL message"', async () => {
    const daemon = await startDaemon();
    try {
      await loggedTraffic(daemon);
    } finally {
      await stopAndCheck(daemon);
    }
    const lines = daemon.log().trimEnd().split('\n');
    for (const line of lines) {
      const [time, level] = line.split(' ');
      assert.match(time, TIME, line);
      assert.ok(LEVELS.has(level), line);
    }
    assert.ok(lines.some((line) => / warn refresh token reused from 127\.0\.0\.1/.test(line)));
  });
});

describe('the first start', () => {
  test('a daemon without users says how to add the first one, and stops saying it once there is one', async () => {
    const dir = join(tmpdir(), `icegate-first-user-${randomBytes(6).toString('hex')}`);
    mkdirSync(dir);
    try {
      const fresh = await startDaemon({ dir });
      await stopAndCheck(fresh);
      const hint = / info no user yet: add the first one with: icegatectl --db (\S+) user add NAME$/m.exec(fresh.log());
      assert.ok(hint, fresh.log());
      assert.equal(hint[1], join(dir, 'icegate.db'));

      const again = await startDaemon({ dir });
      try {
        await createUserAndLogin(again, uniqueName('first'), 'first user password');
      } finally {
        await stopAndCheck(again);
      }
      const third = await startDaemon({ dir });
      await stopAndCheck(third);
      assert.doesNotMatch(third.log(), /no user yet/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('secrets in requests never reach the log', () => {
  test('tokens in request lines and headers of bad requests are not echoed', async () => {
    const daemon = await startDaemon({ settings: { guest_access: 'on', log_level: 'debug' } });
    try {
      const name = uniqueName('echo');
      const password = 'echo test password';
      const tokens = await createUserAndLogin(daemon, name, password);
      const token = tokens.access_token;
      const requests = [
        `GET /nothing?access_token=${token} HTTP/1.1\r\nHost: a\r\n\r\n`,
        `GET /api/v1/me HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${forgeToken(token)}\r\n\r\n`,
        `GET /ws?access_token=${token} HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\n\r\n`,
        `GET /bad target?token=${token} HTTP/1.1\r\nHost: a\r\n\r\n`,
        `GET /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer ${token}\r\nBroken header\r\n\r\n`,
        `POST /api/v1/auth/login HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\n${password.slice(0, 5)}`,
        `POST /refresh HTTP/1.1\r\nHost: a\r\nContent-Type: application/x-www-form-urlencoded\r\n` +
          `Content-Length: ${15 + tokens.refresh_token.length}\r\n\r\nrefresh_token=${tokens.refresh_token}x`,
      ];
      daemon.noteSecret(forgeToken(token), 'forged token');
      for (const request of requests) {
        const response = await rawRequest(daemon.port, request);
        assert.ok(response.status >= 400, `${response.status} for ${request.split('\r\n')[0].slice(0, 40)}`);
      }
      // A password sent as the user name of a failed login is not a valid
      // name (it has spaces), so it is not logged either.
      daemon.noteSecret('pass word in the name field', 'password');
      assert.equal((await login(daemon, 'pass word in the name field', password)).status, 401);
      assert.equal((await post(daemon, '/api/v1/auth/logout', { refresh_token: 'x'.repeat(43) })).status, 401);
      daemon.noteSecret('x'.repeat(43), 'refresh token');
    } finally {
      // stopAndCheck fails here if any noted secret was logged.
      await stopAndCheck(daemon);
    }
  });

  test('the harness fails a run whose log holds a secret, naming only its kind', async () => {
    const daemon = await startDaemon();
    const name = uniqueName('scan');
    await createUserAndLogin(daemon, name, 'scan test password');
    // The daemon logs user names at login; call this one a secret.
    daemon.noteSecret(name, 'pretend secret');
    await assert.rejects(daemon.stop(), (error) => {
      assert.match(error.message, /contains secrets the test used: pretend secret/);
      assert.ok(!error.message.includes(name), 'the message does not repeat the secret');
      return true;
    });
  });

  // The daemon logs its database path at start. A directory named like a
  // secret (64 hex digits) makes the secret appear in the log the way a leak
  // would, without changing the daemon.
  function secretNamedDir() {
    const dir = join(tmpdir(), randomBytes(32).toString('hex'));
    mkdirSync(dir);
    return { dir, secret: basename(dir) };
  }

  test('the harness scans for the configured jwt_secret by itself', async (t) => {
    const { dir, secret } = secretNamedDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const daemon = await startDaemon({ dir, settings: { jwt_secret: secret } });
    assert.ok(daemon.log().includes(secret));
    await assert.rejects(daemon.stop(), /contains secrets the test used: jwt_secret setting/);
  });

  test('the harness scans for the JWT secret stored in the database by itself', async (t) => {
    const { dir, secret } = secretNamedDir();
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    // A first run generates and stores a random secret, which is not logged.
    await stopAndCheck(await startDaemon({ dir }));
    execFileSync('sqlite3', [join(dir, 'icegate.db'), `UPDATE ig_settings SET value = '${secret}' WHERE key = 'jwt_secret'`]);
    const daemon = await startDaemon({ dir });
    assert.ok(daemon.log().includes(secret));
    await assert.rejects(daemon.stop(), /contains secrets the test used: stored JWT or TURN secret/);
  });
});
