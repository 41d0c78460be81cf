// icegate's daemon and the patched coturn end to end: the credentials the
// daemon hands out (to a logged-in user and to an API key) relay traffic
// through coturn, which knows nothing but the daemon's database; an expired
// one does not; icegatectl's revocations, user disabling and secret rotations
// take effect in coturn (live sessions cut within 1 s) and in the daemon
// (WebSockets closed with 4403); readiness follows the turn_secret rows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addUser, ctlOk, get, login, uniqueName } from '../lib/rest.mjs';
import { connectAuthed, withTimeout } from '../lib/ws-client.mjs';
import { restCredential } from './lib/stun.mjs';
import { runUclient, startUclient, uclientArgs, boundUdpPorts, sql, quote, now } from './lib/harness.mjs';
import {
	TTL,
	startStack,
	waitFor,
	passSecond,
	fetchIceCredential,
	fetchRestCredential,
	allocateCode,
	turnSecrets,
	signingSecret,
} from './lib/stack.mjs';

const TEARDOWN_BUDGET_MS = 1000;

// Adds a user and logs in; returns {name, password, token}.
async function loggedInUser(daemon, prefix) {
	const user = addUser(daemon, uniqueName(prefix));
	const response = await login(daemon, user.name, user.password);
	assert.equal(response.status, 200, response.text);
	return { ...user, token: response.json.access_token };
}

// Runs uclient through the advertised UDP endpoint: 2 x count messages must
// come back, none lost.
async function assertRelays(credential, count = 5) {
	const run = await runUclient(uclientArgs(credential.udp, credential, { count }));
	assert.equal(run.code, 0, run.output);
	assert.match(run.output, new RegExp(`tot_send_msgs=${2 * count}, tot_recv_msgs=${2 * count}\\b`));
}

// The subject revocation icegatectl recorded for name: {revokedAt, through}.
// expiry_through is the revocation time + ttl: every credential out then
// expires by it, and one issued a second later does not.
function subjectRevocation(daemon, name) {
	const row = sql(daemon.dbPath, `SELECT revoked_at, expiry_through FROM ig_turn_revoked_subjects WHERE subject = ${quote(name)};`);
	const [revokedAt, through] = row.trim().split('|').map(Number);
	assert.equal(through, revokedAt + TTL, `expiry_through of ${name} is revoked_at + ttl`);
	return { revokedAt, through };
}

// Starts a long uclient session (two allocations) with credential and waits
// for its traffic. Killed when t ends.
async function startSession(t, turn, credential) {
	const session = startUclient(uclientArgs(credential.udp, credential, { count: 3000, intervalMs: 10 }));
	t.after(() => session.kill());
	await waitFor(() => /tot_send_msgs=[1-9]/.test(session.output()), 10000, 'uclient traffic');
	assert.ok(boundUdpPorts(turn.relay.min, turn.relay.max).length >= 2, 'the session holds relay sockets');
	return session;
}

// Runs an icegatectl command that must cut session; returns the time from
// the command's start to the last relay socket closing (an upper bound on the
// time from the commit).
async function cutLatency(t, daemon, turn, session, args) {
	const started = Date.now();
	ctlOk(daemon, args);
	const cut = await waitFor(
		() => boundUdpPorts(turn.relay.min, turn.relay.max).length === 0,
		5000,
		'the relay sockets to close',
	);
	assert.equal(session.child.exitCode, null, 'uclient was still running when its allocations were cut');
	const latency = cut - started;
	t.diagnostic(`icegatectl ${args.join(' ')}: relay cut ${latency} ms after the command started`);
	assert.ok(latency < TEARDOWN_BUDGET_MS, `cut ${latency} ms after the revocation`);
	return latency;
}

test('a logged-in user relays with the credential from /api/v1/ice-servers', async (t) => {
	const { daemon, turn } = await startStack(t);
	const alice = await loggedInUser(daemon, 'alice');
	const credential = await fetchIceCredential(daemon, alice.token);
	assert.deepEqual([credential.udp.port, credential.tcp.port], [turn.port, turn.port]);
	assert.match(credential.username, new RegExp(`^\\d+:${alice.name}$`));
	assert.ok(signingSecret(daemon, credential), 'signed with a turn_secret row');
	await assertRelays(credential);
	assert.equal(await allocateCode(credential.tcp, credential), 200, 'Allocate over the advertised TCP URL');
});

test('an API key relays with the credential from /api/v1/turn/credentials', async (t) => {
	const { daemon, turn } = await startStack(t);
	const key = ctlOk(daemon, ['apikey', 'add', 'janus']).trim();
	const before = now();
	const rest = await fetchRestCredential(daemon, key, 'room-42');
	assert.equal(rest.ttl, TTL);
	const expiry = Number(rest.username.split(':')[0]);
	assert.ok(expiry >= before + TTL && expiry <= now() + TTL, `EXPIRY ${expiry} is now + ttl`);
	assert.ok(rest.uris.includes(`turn:127.0.0.1:${turn.port}?transport=udp`), JSON.stringify(rest.uris));
	const udp = { host: '127.0.0.1', port: turn.port, transport: 'udp' };
	await assertRelays({ username: rest.username, password: rest.password, udp });

	const unknown = await get(daemon, `/api/v1/turn/credentials?service=turn&username=x&key=${key}x`);
	assert.equal(unknown.status, 401, 'a wrong key gets no credential');
});

test('a credential signed with the daemon current secret but expired gets 401', async (t) => {
	const { daemon, turn } = await startStack(t);
	const alice = await loggedInUser(daemon, 'alice');
	const issued = await fetchIceCredential(daemon, alice.token);
	const secret = signingSecret(daemon, issued);
	assert.ok(secret, 'the daemon signs with a turn_secret row');
	const endpoint = { host: '127.0.0.1', port: turn.port, transport: 'udp' };
	// The same secret and subject with a future EXPIRY works: only the expiry differs.
	assert.equal(await allocateCode(endpoint, restCredential(secret, now() + 30, alice.name)), 200);
	const expired = restCredential(secret, now() - 5, alice.name);
	assert.equal(await allocateCode(endpoint, expired), 401);
	const run = await runUclient(uclientArgs(endpoint, expired));
	assert.notEqual(run.code, 0);
	assert.match(run.output, /Cannot complete Allocation/);
});

test('turn revoke --user cuts the user off TURN and signaling until a new credential', async (t) => {
	const { daemon, turn } = await startStack(t);
	const alice = await loggedInUser(daemon, 'alice');
	const bob = await loggedInUser(daemon, 'bob');
	const ws = await connectAuthed(daemon, alice.token);
	t.after(() => ws.close());
	const bobWs = await connectAuthed(daemon, bob.token);
	t.after(() => bobWs.close());
	const earlier = await fetchIceCredential(daemon, alice.token);
	const bobCredential = await fetchIceCredential(daemon, bob.token);
	const session = await startSession(t, turn, earlier);

	await cutLatency(t, daemon, turn, session, ['turn', 'revoke', '--user', alice.name]);
	const { revokedAt, through } = subjectRevocation(daemon, alice.name);
	const closed = await withTimeout(ws.closed, 3000, 'alice WebSocket closed');
	assert.equal(closed.code, 4403);
	assert.equal(await allocateCode(earlier.udp, earlier), 401, 'the earlier credential is refused');
	assert.equal(await allocateCode(bobCredential.udp, bobCredential), 200, 'bob is not affected');
	assert.equal(bobWs.closeInfo, null, 'bob keeps his WebSocket');

	await passSecond(revokedAt);
	const later = await fetchIceCredential(daemon, alice.token);
	assert.ok(Number(later.username.split(':')[0]) > through, 'the new credential expires after expiry_through');
	assert.equal(await allocateCode(later.udp, later), 200);
});

test('user disable cuts the user off; enable and a new login bring TURN back', async (t) => {
	const { daemon, turn } = await startStack(t);
	const carol = await loggedInUser(daemon, 'carol');
	const ws = await connectAuthed(daemon, carol.token);
	t.after(() => ws.close());
	const earlier = await fetchIceCredential(daemon, carol.token);
	const session = await startSession(t, turn, earlier);

	await cutLatency(t, daemon, turn, session, ['user', 'disable', carol.name]);
	const { revokedAt, through } = subjectRevocation(daemon, carol.name);
	const closed = await withTimeout(ws.closed, 3000, 'carol WebSocket closed');
	assert.equal(closed.code, 4403);
	assert.equal(await allocateCode(earlier.udp, earlier), 401);
	const refused = await get(daemon, '/api/v1/ice-servers', { Authorization: `Bearer ${carol.token}` });
	assert.equal(refused.status, 401, 'a disabled user gets no credential');
	assert.equal((await login(daemon, carol.name, carol.password)).status, 403);

	ctlOk(daemon, ['user', 'enable', carol.name]);
	await passSecond(revokedAt);
	const relogin = await login(daemon, carol.name, carol.password);
	assert.equal(relogin.status, 200, relogin.text);
	const later = await fetchIceCredential(daemon, relogin.json.access_token);
	assert.ok(Number(later.username.split(':')[0]) > through, 'the new credential expires after expiry_through');
	assert.equal(await allocateCode(later.udp, later), 200);
	assert.equal(await allocateCode(earlier.udp, earlier), 401, 'enabling does not bring back the old credential');
});

test('turn revoke --username revokes exactly that credential', async (t) => {
	const { daemon } = await startStack(t);
	const dave = await loggedInUser(daemon, 'dave');
	const first = await fetchIceCredential(daemon, dave.token);
	await passSecond(Number(first.username.split(':')[0]) - TTL);
	const second = await fetchIceCredential(daemon, dave.token);
	assert.notEqual(second.username, first.username);

	ctlOk(daemon, ['turn', 'revoke', '--username', first.username]);
	assert.equal(
		sql(daemon.dbPath, 'SELECT username FROM ig_turn_revoked_usernames;').trim(),
		first.username,
		'one revocation row, for that username',
	);
	assert.equal(await allocateCode(first.udp, first), 401);
	assert.equal(await allocateCode(second.udp, second), 200, 'the other credential of the user still works');
});

test('secret rotate keeps the previous key credentials working; a key out of the ring gets 401', async (t) => {
	const { daemon, turn } = await startStack(t);
	const key = ctlOk(daemon, ['apikey', 'add', 'rotation']).trim();
	const endpoint = { host: '127.0.0.1', port: turn.port, transport: 'udp' };
	const mint = () => fetchRestCredential(daemon, key, 'erin');
	// Each JWT key in the ring has its current and previous window's secret.
	const rotationLogged = (count) => () =>
		(daemon.log().match(/signing secret rotated/g) || []).length >= count;

	const first = await mint();
	const initial = turnSecrets(daemon);
	assert.equal(initial.length, 2, 'one key: two windows');
	assert.ok(signingSecret(daemon, first));

	ctlOk(daemon, ['secret', 'rotate']);
	await waitFor(rotationLogged(1), 3000, 'the daemon to reload its keys');
	const afterFirst = turnSecrets(daemon);
	assert.equal(afterFirst.length, 4, 'new and previous key: two windows each');
	assert.ok(initial.every((secret) => afterFirst.includes(secret)), 'the previous key secrets are kept');
	assert.equal(await allocateCode(endpoint, first), 200, 'a credential from before the rotation still works');
	await passSecond(Number(first.username.split(':')[0]) - TTL);
	const second = await mint();
	const secondSecret = signingSecret(daemon, second);
	assert.ok(secondSecret && !initial.includes(secondSecret), 'signed with the new key');
	assert.equal(await allocateCode(endpoint, second), 200);

	// A second rotation pushes the first key out of the ring, and its rows out of turn_secret.
	ctlOk(daemon, ['secret', 'rotate']);
	await waitFor(rotationLogged(2), 3000, 'the daemon to reload its keys');
	const afterSecond = turnSecrets(daemon);
	assert.equal(afterSecond.length, 4);
	assert.ok(initial.every((secret) => !afterSecond.includes(secret)), 'the first key secrets are pruned');
	assert.ok(afterSecond.includes(secondSecret));
	assert.equal(await allocateCode(endpoint, first), 401, 'a credential of a key no longer in the ring');
	assert.equal(await allocateCode(endpoint, second), 200, 'the previous key still works');

	// --now drops the previous key and makes a fresh current one: only the
	// fresh key's two windows remain, so every earlier credential is refused.
	ctlOk(daemon, ['secret', 'rotate', '--now']);
	await waitFor(rotationLogged(3), 3000, 'the daemon to reload its keys');
	const afterNow = turnSecrets(daemon);
	assert.equal(afterNow.length, 2);
	assert.ok(afterSecond.every((secret) => !afterNow.includes(secret)), 'every earlier key secret is pruned');
	assert.equal(await allocateCode(endpoint, second), 401, 'the dropped key credentials are refused');
	const third = await mint();
	assert.ok(afterNow.includes(signingSecret(daemon, third)));
	assert.equal(await allocateCode(endpoint, third), 200);
	assert.equal((await get(daemon, '/readyz')).status, 200);
});

test('/readyz is 503 while the current window secret is missing from turn_secret', async (t) => {
	const { daemon, turn } = await startStack(t);
	const ready = await get(daemon, '/readyz');
	assert.equal(ready.status, 200, ready.text);
	const rows = turnSecrets(daemon);
	assert.equal(rows.length, 2);

	sql(daemon.dbPath, `DELETE FROM turn_secret WHERE realm = 'icegate';`);
	const missing = await get(daemon, '/readyz');
	assert.equal(missing.status, 503);
	assert.equal(missing.json.error, 'not_ready');
	const key = ctlOk(daemon, ['apikey', 'add', 'readiness']).trim();
	const credential = await fetchRestCredential(daemon, key, 'frank');
	const endpoint = { host: '127.0.0.1', port: turn.port, transport: 'udp' };
	assert.equal(await allocateCode(endpoint, credential), 401, 'coturn has no secret to check it with');

	// Readiness follows the table: the rows back, ready again.
	sql(daemon.dbPath, rows.map((row) => `INSERT INTO turn_secret (realm, value) VALUES ('icegate', ${quote(row)});`).join(''));
	assert.equal((await get(daemon, '/readyz')).status, 200);
	assert.equal(await allocateCode(endpoint, credential), 200);
});
