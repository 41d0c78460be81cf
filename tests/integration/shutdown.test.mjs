// Stopping and restarting the daemon the way operators and service managers
// do. SIGTERM (and SIGINT) with clients in every state: each WebSocket sees
// close 1001 "server shutting down" (the JS client reconnects elsewhere on
// it), idle keep-alive connections are closed, a login already sent gets its
// answer, nothing new is accepted, the control socket goes away at once, and
// the process exits 0 within 5 s even when a client never completes the
// close. A restart on the same database keeps users, refresh tokens (the old
// one still works, once), the JWT secret (an access token from before still
// verifies) and the TURN secrets. After kill -9 the next start replaces the
// stale control socket and icegatectl status works.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { RawHttp } from '../lib/raw-http.mjs';
import { RawWs } from '../lib/raw-ws.mjs';
import { addUser, call, get, guestToken, login, post, refresh, sleep, uniqueName } from '../lib/rest.mjs';
import { WsClient, connectAuthed, connectJoined } from '../lib/ws-client.mjs';

const PASSWORD = 'correct horse battery';
const SHUTDOWN_BOUND_MS = 5000;

const scratch = mkdtempSync(join(tmpdir(), 'icegate-shutdown-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// Sends signal and resolves with {code, signal, ms} once the process exited.
async function signalAndTime(daemon, signal) {
  const started = Date.now();
  const exited = new Promise((resolve) => daemon.child.once('exit', (code, sig) => resolve({ code, signal: sig })));
  daemon.child.kill(signal);
  const result = await exited;
  return { ...result, ms: Date.now() - started };
}

// Whether a TCP connection to port is refused.
function refused(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (error) => resolve(error.code === 'ECONNREFUSED'));
  });
}

function turnSecrets(dbPath) {
  return execFileSync('sqlite3', [dbPath, 'SELECT realm, value FROM turn_secret ORDER BY value'], {
    encoding: 'utf8',
  });
}

describe('SIGTERM with connected clients', () => {
  test('every WebSocket sees 1001, idle HTTP closes, and the process exits 0 quickly', async () => {
    const daemon = await startDaemon({ settings: { guest_access: 'on', auth_timeout: 60 } });
    const name = uniqueName('sender');
    addUser(daemon, name, PASSWORD, 'sender');
    const tokens = (await login(daemon, name, PASSWORD)).json;
    const clients = [
      await connectJoined(daemon, tokens.access_token, 'shutdown-room', 'sender'),
      await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'shutdown-room'),
      await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'shutdown-room'),
      await connectJoined(daemon, await guestToken(daemon, 'receiver'), 'another-room'),
      await connectAuthed(daemon, await guestToken(daemon, 'sender')), // in no room
      await WsClient.connect(daemon.wsUrl), // mid-auth: upgraded, no token yet
      await WsClient.connect(daemon.wsUrl),
    ];
    // A keep-alive HTTP connection with nothing in flight.
    const idle = await RawHttp.open(daemon.port);
    await idle.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\n\r\n`);
    assert.equal((await idle.readResponse()).status, 200);
    const status = JSON.parse(daemon.ctl(['status', '--json']).stdout);
    assert.equal(status.sessions, 7);

    const closes = clients.map((client) => client.waitClose(SHUTDOWN_BOUND_MS));
    const exit = signalAndTime(daemon, 'SIGTERM');
    for (const close of await Promise.all(closes)) {
      assert.deepEqual(close, { code: 1001, reason: 'server shutting down' });
    }
    await idle.waitClosed(SHUTDOWN_BOUND_MS);
    const { code, ms } = await exit;
    assert.equal(code, 0, daemon.log());
    assert.ok(ms < SHUTDOWN_BOUND_MS, `exited ${ms} ms after SIGTERM`);
    assert.ok(!existsSync(`${daemon.dbPath}.sock`), 'the control socket is removed');
    await stopAndCheck(daemon);
  });

  test('SIGINT shuts down the same way', async () => {
    const daemon = await startDaemon({ settings: { guest_access: 'on' } });
    const client = await connectJoined(daemon, await guestToken(daemon, 'sender'), 'interrupted');
    const exit = signalAndTime(daemon, 'SIGINT');
    assert.deepEqual(await client.waitClose(SHUTDOWN_BOUND_MS), { code: 1001, reason: 'server shutting down' });
    assert.equal((await exit).code, 0);
    await stopAndCheck(daemon);
  });

  test('a login sent before SIGTERM gets its answer', async () => {
    const daemon = await startDaemon();
    const name = uniqueName('late');
    addUser(daemon, name, PASSWORD);
    const connection = await RawHttp.open(daemon.port);
    const body = JSON.stringify({ username: name, password: PASSWORD });
    await connection.write(
      `POST /api/v1/auth/login HTTP/1.1\r\nHost: 127.0.0.1:${daemon.port}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
    );
    await sleep(20); // read by the daemon; the password check runs on a worker
    const exit = signalAndTime(daemon, 'SIGTERM');
    const response = await connection.readResponse(SHUTDOWN_BOUND_MS);
    assert.equal(response.status, 200, response.body);
    assert.ok(JSON.parse(response.body).access_token);
    await connection.waitClosed(SHUTDOWN_BOUND_MS);
    assert.equal((await exit).code, 0);
    await stopAndCheck(daemon);
  });

  test('while draining nothing new is accepted, and a client that never closes does not hold the exit', async () => {
    const daemon = await startDaemon({ settings: { guest_access: 'on' } });
    const token = await guestToken(daemon, 'sender');
    const stubborn = await RawWs.upgrade(daemon.port, `/ws?access_token=${token}`);
    await stubborn.nextMessage('authenticated');
    // Stops reading: it neither answers the close frame nor closes its side.
    stubborn.socket.pause();
    const exit = signalAndTime(daemon, 'SIGTERM');
    await sleep(300);
    assert.equal(daemon.child.exitCode, null, 'still draining the stubborn client');
    assert.ok(await refused(daemon.port), 'the listener is closed while draining');
    assert.ok(!existsSync(`${daemon.dbPath}.sock`), 'the control socket is gone while draining');
    const notRunning = daemon.ctl(['status']);
    assert.equal(notRunning.status, 1);
    assert.match(notRunning.stderr, /icegate is not running \(no control socket at /);
    const { code, ms } = await exit;
    assert.equal(code, 0);
    assert.ok(ms <= SHUTDOWN_BOUND_MS + 500, `exited ${ms} ms after SIGTERM`);
    // The close frame was sent all the same.
    stubborn.socket.resume();
    assert.equal((await stubborn.waitCloseFrame(1000)).code, 1001);
    stubborn.destroy();
    await stopAndCheck(daemon);
  });
});

describe('restart on the same database', () => {
  test('users, refresh tokens, the JWT secret and the TURN secrets are kept', async () => {
    const dir = mkdtempSync(join(scratch, 'restart-'));
    const first = await startDaemon({ dir });
    const name = uniqueName('keeper');
    addUser(first, name, PASSWORD);
    const tokens = (await login(first, name, PASSWORD)).json;
    const ice = await get(first, '/api/v1/ice-servers', { Authorization: `Bearer ${tokens.access_token}` });
    assert.equal(ice.status, 200);
    const secretsBefore = turnSecrets(first.dbPath);
    assert.notEqual(secretsBefore, '', 'the daemon wrote TURN secrets');
    await stopAndCheck(first);

    const second = await startDaemon({ dir });
    try {
      // The JWT secret: an access token issued before the restart verifies.
      const me = await get(second, '/api/v1/me', { Authorization: `Bearer ${tokens.access_token}` });
      assert.equal(me.status, 200, me.text);
      assert.equal(me.json.sub, name);
      const client = await connectAuthed(second, tokens.access_token);
      assert.equal(client.auth.sub, name);
      client.close();
      // The refresh token works once, and only once.
      const refreshed = await refresh(second, tokens.refresh_token);
      assert.equal(refreshed.status, 200, refreshed.text);
      const reused = await refresh(second, tokens.refresh_token);
      assert.equal(reused.status, 401);
      // The user and password.
      assert.equal((await login(second, name, PASSWORD)).status, 200);
      // The TURN secrets coturn checks credentials with.
      assert.equal(turnSecrets(second.dbPath), secretsBefore);
      assert.equal(
        (await call(second, 'GET', '/api/v1/ice-servers', undefined, { Authorization: `Bearer ${tokens.access_token}` }))
          .status,
        200
      );
    } finally {
      await stopAndCheck(second);
    }
  });

  test('after kill -9 the stale control socket is replaced and status works', async () => {
    const dir = mkdtempSync(join(scratch, 'killed-'));
    const first = await startDaemon({ dir, settings: { guest_access: 'on' } });
    const name = uniqueName('survivor');
    addUser(first, name, PASSWORD);
    const client = await connectJoined(first, await guestToken(first, 'sender'), 'doomed');
    await first.stop('SIGKILL');
    const { code } = await client.waitClose(SHUTDOWN_BOUND_MS);
    assert.equal(code, 1006, 'no close frame from a killed process');
    const socketPath = `${first.dbPath}.sock`;
    assert.ok(existsSync(socketPath), 'kill -9 leaves the socket file behind');

    const second = await startDaemon({ dir });
    try {
      const status = JSON.parse(second.ctl(['status', '--json']).stdout);
      assert.equal(status.pid, second.child.pid);
      assert.equal(status.sessions, 0);
      assert.equal((await login(second, name, PASSWORD)).status, 200);
      assert.equal((await post(second, '/api/v1/auth/guest', { role: 'sender' })).status, 403, 'options are per start');
    } finally {
      await stopAndCheck(second);
    }
  });
});
