// Tests of the browser client (web/js/icegate.js) outside the browser, against a
// real daemon: the recoveries a person would otherwise only notice as "the page
// came back" or "the page gave up" — daemon restarts, rejected and expired
// tokens, disabled accounts — are driven here one by one, which a page test
// cannot do precisely. The `ws` package stands in for the browser's WebSocket.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import WebSocket, { WebSocketServer } from 'ws';
import { ClientState, IcegateClient } from '../../web/js/icegate.js';
import { createUserAndLogin, startDaemon } from '../lib/daemon.mjs';

const TEST_TIMEOUT_MS = 60000;
const PASSWORD = 'correct horse battery';

function newClient(baseUrl) {
  return new IcegateClient({ baseUrl, storage: null, WebSocket });
}

// Resolves with the detail of the next `type` event that satisfies accept.
function nextEvent(client, type, accept = () => true, timeout = 15000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.removeEventListener(type, listener);
      reject(new Error(`no "${type}" event within ${timeout} ms (state ${client.state})`));
    }, timeout);
    const listener = (event) => {
      if (!accept(event.detail)) return;
      clearTimeout(timer);
      client.removeEventListener(type, listener);
      resolve(event.detail);
    };
    client.addEventListener(type, listener);
  });
}

function recordStates(client) {
  const states = [];
  client.addEventListener('state', (event) => states.push(event.detail.state));
  return states;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the signaling client against a daemon', () => {
  const dir = mkdtempSync(join(tmpdir(), 'icegate-client-'));
  let daemon;
  const clients = [];

  before(async () => {
    daemon = await startDaemon({ dir, settings: { guest_access: 'on' } });
  });

  after(async () => {
    for (const client of clients) client.close();
    await daemon?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  // A receiver guest unless a user name is given (guests need no icegatectl).
  async function signedInClient(name = null) {
    const client = newClient(daemon.base);
    clients.push(client);
    if (name) await client.login(name, PASSWORD);
    else await client.guest('receiver');
    return client;
  }

  test('connects, authenticates and joins, with an id on every message', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await signedInClient();
    const states = recordStates(client);
    const joined = nextEvent(client, 'joined');
    client.join('lobby', 'receiver');
    client.connect();
    const reply = await joined;
    assert.equal(reply.room, 'lobby');
    assert.equal(reply.id, client.peerId);
    assert.deepEqual(states, [ClientState.CONNECTING, ClientState.AUTHENTICATING, ClientState.CONNECTED]);
    const id = client.send('ping');
    const pong = await nextEvent(client, 'pong');
    assert.equal(pong.ref, id);
    client.close();
    assert.equal(client.state, ClientState.CLOSED);
    assert.equal(client.send('ping'), null, 'nothing is sent on a closed client');
  });

  test('reconnects after the daemon restarts and rejoins the last room', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await signedInClient();
    client.join('survivors', 'receiver');
    client.connect();
    const first = await nextEvent(client, 'joined');
    const dropped = nextEvent(client, 'disconnected');
    const { port } = daemon;
    await daemon.stop();
    assert.equal((await dropped).code, 1001);
    assert.equal(client.state, ClientState.RECONNECTING);
    const rejoined = nextEvent(client, 'joined', () => true, 30000);
    daemon = await startDaemon({ dir, port, settings: { guest_access: 'on' } });
    const second = await rejoined;
    assert.equal(second.room, 'survivors');
    assert.notEqual(second.id, first.id, 'a new connection gets a new peer id');
    assert.equal(client.state, ClientState.CONNECTED);
    client.close();
  });

  test('a rejected access token is refreshed and the client reconnects', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await signedInClient();
    // What a key rotation looks like to a client: a token the server refuses.
    client.session.tokens.accessToken = `${client.session.accessToken.slice(0, -4)}AAAA`;
    const closed = nextEvent(client, 'disconnected');
    const authenticated = nextEvent(client, 'authenticated');
    client.connect();
    assert.equal((await closed).code, 4401);
    await authenticated;
    assert.equal(client.state, ClientState.CONNECTED);
    client.close();
  });

  test('a refused refresh token ends the session with a message', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = await signedInClient();
    client.session.tokens.accessToken = `${client.session.accessToken.slice(0, -4)}AAAA`;
    client.session.tokens.refreshToken = 'x'.repeat(43);
    const failure = nextEvent(client, 'failure');
    client.connect();
    const detail = await failure;
    assert.equal(detail.code, 'session_expired');
    assert.equal(detail.fatal, true);
    assert.equal(client.state, ClientState.CLOSED);
    assert.equal(client.signedIn, false, 'the dead tokens are forgotten');
  });

  test('a disabled account stops the client instead of reconnecting', { timeout: TEST_TIMEOUT_MS }, async () => {
    await createUserAndLogin(daemon, 'mallory', PASSWORD);
    const client = await signedInClient('mallory');
    client.connect();
    await nextEvent(client, 'authenticated');
    const failure = nextEvent(client, 'failure');
    const closed = nextEvent(client, 'disconnected');
    const disabled = daemon.ctl(['user', 'disable', 'mallory']);
    assert.equal(disabled.status, 0, disabled.stderr);
    assert.equal((await closed).code, 4403);
    assert.equal((await failure).code, 'account_disabled');
    await sleep(1500); // longer than the first reconnect delay
    assert.equal(client.state, ClientState.CLOSED);
    assert.equal(client.signedIn, false);
  });

  test('a guest sign-in is refused with a clear message when guests are off', { timeout: TEST_TIMEOUT_MS }, async () => {
    const closedDaemon = await startDaemon();
    try {
      const client = newClient(closedDaemon.base);
      await assert.rejects(client.guest('receiver', 'default'), (error) => {
        assert.equal(error.code, 'guest_access_disabled');
        assert.match(error.message, /Guest access is turned off/);
        return true;
      });
    } finally {
      await closedDaemon.stop();
    }
  });
});

describe('token renewal', () => {
  let daemon;

  before(async () => {
    daemon = await startDaemon({ settings: { access_token_ttl: 3, guest_access: 'on' } });
  });

  after(async () => {
    await daemon?.stop();
  });

  test('the access token is renewed on the open socket before it expires', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = newClient(daemon.base);
    await client.guest('receiver');
    let authentications = 0;
    let disconnects = 0;
    client.addEventListener('authenticated', () => authentications++);
    client.addEventListener('disconnected', () => disconnects++);
    client.connect();
    await sleep(8000); // well past two token lifetimes
    const state = client.state;
    client.close();
    assert.equal(state, ClientState.CONNECTED);
    assert.equal(disconnects, 0, 'the socket stayed open');
    assert.ok(authentications >= 3, `re-authenticated on the socket (${authentications} times)`);
  });
});

describe('ICE servers from the signaling server', () => {
  // A scripted server: the daemon does not hand out ICE servers yet, and the
  // client must already pass them on when it does.
  let server;
  let baseUrl;

  before(async () => {
    server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    baseUrl = `http://127.0.0.1:${server.address().port}`;
    server.on('connection', (socket) => {
      socket.send(JSON.stringify({ type: 'authenticated', id: '00000000000000aa', sub: 'alice', roles: ['receiver'], expiresAt: 0 }));
      socket.on('message', (data) => {
        const message = JSON.parse(data);
        if (message.type !== 'join') return;
        const iceServers = [{ urls: 'turn:turn.example.org:3478', username: 'u', credential: 'c' }];
        socket.send(JSON.stringify({ type: 'joined', room: message.room, id: '00000000000000aa', peers: [], iceServers, ref: message.id }));
      });
    });
  });

  after(() => new Promise((resolve) => server.close(resolve)));

  test('iceServers in a joined message are exposed and announced', { timeout: TEST_TIMEOUT_MS }, async () => {
    const client = newClient(baseUrl);
    client.session.store({ access_token: 'a.b.c', refresh_token: 'r', expires_in: 600 });
    assert.equal(client.iceServers, null);
    const announced = nextEvent(client, 'iceservers');
    client.join('default', 'receiver');
    client.connect();
    const iceServers = await announced;
    client.close();
    assert.equal(iceServers[0].urls, 'turn:turn.example.org:3478');
    assert.deepEqual(client.iceServers, iceServers);
  });
});
