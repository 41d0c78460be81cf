// icegatectl changes seen by a running daemon: disabling or deleting a user
// closes their open WebSocket sessions with 4403 and kills their refresh
// tokens, enabling lets them back in, password changes apply to the next
// login, and tokens minted by `icegatectl token` authenticate like issued ones.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { stopAndCheck } from '../lib/daemon-check.mjs';
import { startDaemon } from '../lib/daemon.mjs';
import { addUser, ctlOk, decodeJwt, login, refresh, uniqueName } from '../lib/rest.mjs';
import { connectAuthed } from '../lib/ws-client.mjs';

const PASSWORD = 'correct horse battery';

let daemon;
before(async () => {
  daemon = await startDaemon({ settings: { user_poll_interval_ms: 200 } });
});
after(() => stopAndCheck(daemon));

// A user with a fresh login and an open session.
async function userWithSession(prefix) {
  const name = uniqueName(prefix);
  addUser(daemon, name, PASSWORD);
  const response = await login(daemon, name, PASSWORD);
  assert.equal(response.status, 200, response.text);
  const client = await connectAuthed(daemon, response.json.access_token);
  return { name, tokens: response.json, client };
}

// Runs the icegatectl command and expects the session closed 4403 within 1 s.
async function expectSessionClosedBy(args, client) {
  const started = Date.now();
  ctlOk(daemon, args);
  const { code } = await client.waitClose(1500);
  assert.equal(code, 4403);
  const elapsed = Date.now() - started;
  assert.ok(elapsed <= 1000, `closed ${elapsed} ms after the change`);
}

test('user disable closes the session with 4403 and revokes refresh tokens', async () => {
  const alice = await userWithSession('alice');
  const bystander = await userWithSession('bystander');
  try {
    await expectSessionClosedBy(['user', 'disable', alice.name], alice.client);

    const refreshed = await refresh(daemon, alice.tokens.refresh_token);
    assert.equal(refreshed.status, 401);
    assert.equal(refreshed.json.error, 'invalid_token');
    assert.equal((await login(daemon, alice.name, PASSWORD)).status, 403);

    assert.ok(bystander.client.isOpen, 'other users keep their sessions');
    assert.equal((await bystander.client.request({ type: 'ping' }, 'pong')).type, 'pong');
  } finally {
    bystander.client.close();
  }
});

test('user del closes the session with 4403 and revokes refresh tokens', async () => {
  const bob = await userWithSession('bob');
  await expectSessionClosedBy(['user', 'del', bob.name], bob.client);
  const refreshed = await refresh(daemon, bob.tokens.refresh_token);
  assert.equal(refreshed.status, 401);
  assert.equal(refreshed.json.error, 'invalid_token');
  const again = await login(daemon, bob.name, PASSWORD);
  assert.equal(again.status, 401);
  assert.equal(again.json.error, 'invalid_credentials');
});

test('a still-valid access token of a disabled user cannot open a session', async () => {
  const carol = await userWithSession('carol');
  await expectSessionClosedBy(['user', 'disable', carol.name], carol.client);
  // The JWT itself has not expired; the daemon must still refuse the user.
  const retry = await connectAuthed(daemon, carol.tokens.access_token).then(
    (client) => client,
    (error) => error
  );
  if (retry instanceof Error) {
    assert.ok(retry.closeCode === 4403 || retry.closeCode === 4401, retry.message);
  } else {
    const { code } = await retry.waitClose(1500);
    retry.close();
    assert.ok(code === 4403 || code === 4401, `closed ${code}`);
  }
});

test('user enable lets a disabled user log in again', async () => {
  const name = uniqueName('dave');
  addUser(daemon, name, PASSWORD);
  ctlOk(daemon, ['user', 'disable', name]);
  assert.equal((await login(daemon, name, PASSWORD)).status, 403);
  ctlOk(daemon, ['user', 'enable', name]);
  const response = await login(daemon, name, PASSWORD);
  assert.equal(response.status, 200, response.text);
  const client = await connectAuthed(daemon, response.json.access_token);
  assert.equal(client.auth.sub, name);
  client.close();
});

test('user passwd applies to the next login', async () => {
  const name = uniqueName('erin');
  addUser(daemon, name, PASSWORD);
  const changed = daemon.ctl(['user', 'passwd', name, '--password-stdin'], 'a brand new passphrase');
  assert.equal(changed.status, 0, changed.stderr);
  assert.equal((await login(daemon, name, PASSWORD)).status, 401);
  assert.equal((await login(daemon, name, 'a brand new passphrase')).status, 200);
});

test('a token from icegatectl token authenticates a WebSocket', async () => {
  const name = uniqueName('frank');
  addUser(daemon, name, PASSWORD, 'sender');
  const token = ctlOk(daemon, ['token', name]).trim();
  assert.equal(token.split('.').length, 3);
  const client = await connectAuthed(daemon, token);
  try {
    assert.equal(client.auth.sub, name);
    assert.deepEqual(client.auth.roles, ['sender']);
    assert.equal((await client.request({ type: 'join', room: 'any-room' }, 'joined')).room, 'any-room');
  } finally {
    client.close();
  }
});

test('icegatectl token --room and --ttl shape the session', async () => {
  const name = uniqueName('gina');
  addUser(daemon, name, PASSWORD);
  const token = ctlOk(daemon, ['token', name, '--room', 'booth', '--ttl', '120']).trim();
  const claims = decodeJwt(token).payload;
  assert.equal(claims.exp - claims.iat, 120);
  const client = await connectAuthed(daemon, token, 'query');
  try {
    assert.equal(client.auth.expiresAt, claims.exp);
    assert.equal((await client.request({ type: 'join', room: 'other' }, 'error')).code, 'forbidden');
    assert.equal((await client.request({ type: 'join', room: 'booth' }, 'joined')).room, 'booth');
  } finally {
    client.close();
  }
});
