// TURN credentials as the signaling daemon hands them out: GET
// /api/v1/ice-servers, the TURN REST API draft's endpoint with API keys,
// iceServers minted for the right peer in joined/offer/answer, the audit
// trail, readiness, and the live effects of icegatectl's turn revoke and
// secret rotate. Every password is checked independently: HMAC-SHA1 over the
// username with one of the secrets the daemon wrote into coturn's turn_secret
// table, as coturn itself checks it.
import { createHmac } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';

import { startDaemon } from '../lib/daemon.mjs';
import { addUser, ctlOk, decodeJwt, get, login, sleep, uniqueName } from '../lib/rest.mjs';
import { connectAuthed, connectJoined } from '../lib/ws-client.mjs';

const TTL = 600;

function sql(daemon, query) {
  return execFileSync('sqlite3', ['-bail', daemon.dbPath, query], { encoding: 'utf8' }).trim();
}

function turnSecrets(daemon) {
  return sql(daemon, "SELECT value FROM turn_secret WHERE realm = 'icegate'").split('\n').filter(Boolean);
}

// Asserts that credential is base64(HMAC-SHA1(secret, username)) for one of
// the secrets coturn would try, and that the username is EXPIRY:SUBJECT.
function assertCredential(daemon, username, credential, subject) {
  const match = /^(\d+):(.+)$/.exec(username);
  assert.ok(match, `username ${username} is EXPIRY:SUBJECT`);
  assert.equal(match[2], subject);
  const expected = turnSecrets(daemon).map((secret) =>
    createHmac('sha1', secret).update(username).digest('base64'),
  );
  assert.ok(expected.includes(credential), 'the password verifies against a turn_secret row');
  return Number(match[1]);
}

function turnServer(iceServers) {
  const server = iceServers.find((entry) => entry.username);
  assert.ok(server, 'a TURN entry with credentials');
  return server;
}

async function userToken(daemon, role) {
  const user = addUser(daemon, uniqueName('turn'), 'correct horse battery', role);
  const response = await login(daemon, user.name, user.password);
  assert.equal(response.status, 200, response.text);
  return { name: user.name, token: response.json.access_token };
}

describe('ice servers over REST', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({
      settings: {
        turn_host: 'turn.example.test',
        turn_port: 3478,
        turn_tls: 'on',
        turns_port: 5349,
        turn_credential_ttl: TTL,
        user_poll_interval_ms: 200,
      },
    });
  });
  after(() => daemon.stop());

  test('a bearer gets STUN, TURN over UDP and TCP, and TURNS, with its own credential', async () => {
    const alice = await userToken(daemon);
    const before = Math.floor(Date.now() / 1000);
    const response = await get(daemon, '/api/v1/ice-servers', { Authorization: `Bearer ${alice.token}` });
    assert.equal(response.status, 200, response.text);
    const { iceServers, expiresAt } = response.json;
    assert.deepEqual(iceServers[0], { urls: ['stun:turn.example.test:3478'] });
    const turn = turnServer(iceServers);
    assert.deepEqual(turn.urls, [
      'turn:turn.example.test:3478?transport=udp',
      'turn:turn.example.test:3478?transport=tcp',
      'turns:turn.example.test:5349?transport=tcp',
    ]);
    const expiry = assertCredential(daemon, turn.username, turn.credential, alice.name);
    assert.equal(expiry, expiresAt);
    assert.ok(expiry >= before + TTL && expiry <= before + TTL + 2, `expiry ${expiry} is now + ttl`);
  });

  test('without a token, or with a bad one, it is 401', async () => {
    const missing = await get(daemon, '/api/v1/ice-servers');
    assert.equal(missing.status, 401);
    assert.equal(missing.json.error, 'missing_token');
    const bad = await get(daemon, '/api/v1/ice-servers', { Authorization: 'Bearer x.y.z' });
    assert.equal(bad.status, 401);
    assert.equal(bad.json.error, 'invalid_token');
  });

  test('issued credentials reach the audit table in a batch, never with a password', async () => {
    const bob = await userToken(daemon);
    const response = await get(daemon, '/api/v1/ice-servers', { Authorization: `Bearer ${bob.token}` });
    const { username } = turnServer(response.json.iceServers);
    let rows = '';
    for (let i = 0; i < 30 && !rows; i++) {
      await sleep(100);
      rows = sql(daemon, `SELECT subject, username FROM ig_turn_credentials WHERE subject = '${bob.name}'`);
    }
    assert.equal(rows, `${bob.name}|${username}`);
    const columns = sql(daemon, "SELECT group_concat(name) FROM pragma_table_info('ig_turn_credentials')");
    assert.doesNotMatch(columns, /password|credential|secret/);
  });

  test('readyz is 200 while the current secret is in turn_secret', async () => {
    const response = await get(daemon, '/readyz');
    assert.equal(response.status, 200, response.text);
  });
});

describe('the TURN REST API endpoint', () => {
  let daemon;
  let key;
  before(async () => {
    daemon = await startDaemon({ settings: { turn_host: '127.0.0.1', turn_credential_ttl: TTL } });
    key = ctlOk(daemon, ['apikey', 'add', 'janus']).trim();
  });
  after(() => daemon.stop());

  const path = (params) => `/api/v1/turn/credentials?${new URLSearchParams(params)}`;

  test('a known key gets the draft format for the given username', async () => {
    const response = await get(daemon, path({ service: 'turn', username: 'room42-peer', key }));
    assert.equal(response.status, 200, response.text);
    const { username, password, ttl, uris } = response.json;
    assertCredential(daemon, username, password, 'room42-peer');
    assert.equal(ttl, TTL);
    assert.deepEqual(uris, ['turn:127.0.0.1:3478?transport=udp', 'turn:127.0.0.1:3478?transport=tcp']);
  });

  const refusals = {
    'no key': [{ service: 'turn', username: 'u' }, 401, 'invalid_key'],
    'an unknown key': [{ service: 'turn', username: 'u', key: 'igk_not-a-real-key' }, 401, 'invalid_key'],
    'another service': [{ service: 'stun', username: 'u' }, 400, 'invalid_request'],
    'no service': [{ username: 'u' }, 400, 'invalid_request'],
    'no username': [{ service: 'turn' }, 400, 'invalid_request'],
    'a username with a control character': [{ service: 'turn', username: 'a\u0001b' }, 400, 'invalid_request'],
    'a username of 128 bytes': [{ service: 'turn', username: 'u'.repeat(128) }, 400, 'invalid_request'],
  };
  for (const [what, [params, status, error]] of Object.entries(refusals)) {
    test(`${what} is ${status} ${error}`, async () => {
      const withKey = what.includes('key') ? params : { ...params, key };
      const response = await get(daemon, path(withKey));
      assert.equal(response.status, status, response.text);
      assert.equal(response.json.error, error);
    });
  }

  test('a deleted key stops working', async () => {
    const other = ctlOk(daemon, ['apikey', 'add', 'temporary']).trim();
    assert.equal((await get(daemon, path({ service: 'turn', username: 'u', key: other }))).status, 200);
    ctlOk(daemon, ['apikey', 'del', 'temporary']);
    assert.equal((await get(daemon, path({ service: 'turn', username: 'u', key: other }))).status, 401);
  });
});

describe('ice servers in signaling messages', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({
      settings: { turn_host: '127.0.0.1', turn_credential_ttl: TTL, user_poll_interval_ms: 200 },
    });
  });
  after(() => daemon.stop());

  test('joined carries servers for the joiner; offer and answer carry servers for their recipient', async () => {
    const sender = await userToken(daemon, 'sender');
    const receiver = await userToken(daemon, 'receiver');
    const senderWs = await connectJoined(daemon, sender.token, 'turnroom');
    const receiverWs = await connectAuthed(daemon, receiver.token);
    const joined = await receiverWs.request({ type: 'join', room: 'turnroom' }, 'joined');
    const own = turnServer(joined.iceServers);
    assertCredential(daemon, own.username, own.credential, receiver.name);

    receiverWs.send({ type: 'offer', sdp: 'v=0\r\n' });
    const offer = await senderWs.nextMessage('offer');
    const forSender = turnServer(offer.iceServers);
    assertCredential(daemon, forSender.username, forSender.credential, sender.name);

    senderWs.send({ type: 'answer', to: offer.from, sdp: 'v=0\r\n' });
    const answer = await receiverWs.nextMessage('answer');
    const forReceiver = turnServer(answer.iceServers);
    assertCredential(daemon, forReceiver.username, forReceiver.credential, receiver.name);

    receiverWs.send({ type: 'candidate', to: answer.from, candidate: null });
    const candidate = await senderWs.nextMessage('candidate');
    assert.equal(candidate.iceServers, undefined, 'candidates carry no credentials');
    senderWs.close();
    receiverWs.close();
  });

  test('icegatectl turn revoke --user closes that user\'s sessions with 4403', async () => {
    const carol = await userToken(daemon);
    const ws = await connectJoined(daemon, carol.token, 'revoked-room');
    const started = Date.now();
    ctlOk(daemon, ['turn', 'revoke', '--user', carol.name]);
    const closed = await ws.waitClose(3000);
    assert.equal(closed.code, 4403);
    assert.ok(Date.now() - started < 1500, 'within the poll interval and a margin');
    const revoked = sql(daemon, `SELECT subject FROM ig_turn_revoked_subjects WHERE subject = '${carol.name}'`);
    assert.equal(revoked, carol.name);
  });

  test('secret rotate keeps sessions and old tokens; --now ends them with 4401', async () => {
    const dave = await userToken(daemon);
    const ws = await connectJoined(daemon, dave.token, 'rotation-room');
    const kidBefore = decodeJwt(dave.token).header.kid;
    const secretsBefore = turnSecrets(daemon);

    ctlOk(daemon, ['secret', 'rotate']);
    await sleep(600);
    assert.ok(ws.isOpen, 'a plain rotation leaves sessions open');
    const me = await get(daemon, '/api/v1/me', { Authorization: `Bearer ${dave.token}` });
    assert.equal(me.status, 200, 'a token signed with the previous key still verifies');
    const fresh = await login(daemon, dave.name, 'correct horse battery');
    assert.notEqual(decodeJwt(fresh.json.access_token).header.kid, kidBefore, 'new tokens use the new key');
    const secretsAfter = turnSecrets(daemon);
    for (const secret of secretsBefore) assert.ok(secretsAfter.includes(secret), 'old TURN secrets kept');
    assert.ok(secretsAfter.length > secretsBefore.length, 'new TURN secrets added');

    ctlOk(daemon, ['secret', 'rotate', '--now']);
    const closed = await ws.waitClose(3000);
    assert.equal(closed.code, 4401);
    const stale = await get(daemon, '/api/v1/me', { Authorization: `Bearer ${dave.token}` });
    assert.equal(stale.status, 401, 'tokens of the dropped key end now');
  });
});

describe('rotation by an icegatectl that lacks the daemon\'s configuration', () => {
  let daemon;
  before(async () => {
    daemon = await startDaemon({
      settings: { turn_secret_window: 600, turn_credential_ttl: 600, user_poll_interval_ms: 5000 },
    });
  });
  after(() => daemon.stop());

  // icegatectl runs here with its defaults (a one-day window); it must still
  // write the rows of the daemon's window, before the daemon notices.
  test('the TURN secrets of the daemon\'s window survive the rotation at once', async () => {
    const erin = await userToken(daemon);
    const response = await get(daemon, '/api/v1/ice-servers', { Authorization: `Bearer ${erin.token}` });
    const { username, credential } = turnServer(response.json.iceServers);
    ctlOk(daemon, ['secret', 'rotate']);
    assert.equal((await get(daemon, '/readyz')).status, 200, 'the current window is still served');
    assertCredential(daemon, username, credential, erin.name);
  });
});
