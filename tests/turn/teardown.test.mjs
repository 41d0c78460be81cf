// Live allocations made with a credential that gets revoked are torn down
// within 1 s of the revocation being committed, and nothing else is.
// The time is measured from the moment the sqlite3 write returns (commit) to
// the moment the allocation's relay sockets are gone from /proc/net/udp (for
// turnutils_uclient) or the server closes the client's TCP connection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnClient, restCredential } from './lib/stun.mjs';
import { startTurnServer, startUclient, uclientArgs, boundUdpPorts, sql, quote, now, sleep } from './lib/harness.mjs';

const SECRET = 'test-secret';
const BUDGET_MS = 1000;

// Polls until predicate() holds; resolves with the time it first held.
async function waitFor(predicate, timeoutMs, what) {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		if (predicate()) return Date.now();
		await sleep(5);
	}
	throw new Error(`timed out waiting for ${what}`);
}

test('a running uclient session is cut within 1 s of its username being revoked', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() + 600, 'alice');
	// 3000 messages every 10 ms: 30 s of traffic, far longer than the test.
	const uclient = startUclient(uclientArgs(server, credential, { count: 3000, intervalMs: 10 }));
	t.after(() => uclient.kill());
	const relayPorts = () => boundUdpPorts(server.relay.min, server.relay.max);
	await waitFor(() => /tot_send_msgs=[1-9]/.test(uclient.output()), 10000, 'uclient traffic');
	assert.ok(relayPorts().length >= 2, 'the two uclient allocations hold relay sockets');

	sql(server.dbPath, `INSERT INTO ig_turn_revoked_usernames VALUES (${quote(credential.username)}, ${now()});`);
	const committed = Date.now();
	const cut = await waitFor(() => relayPorts().length === 0, 5000, 'the relay sockets to close');
	assert.equal(uclient.child.exitCode, null, 'uclient was still sending when its allocations were cut');
	assert.ok(cut - committed < BUDGET_MS, `cut ${cut - committed} ms after the revocation`);
	assert.match(server.log(), /revoked, cancelling/);
	t.diagnostic(`uclient allocations cut ${cut - committed} ms after the revocation`);
});

test('a session is cut within 1 s of its subject being revoked; other subjects keep theirs', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const expiry = now() + 600;
	const victim = await TurnClient.connect({ host: '127.0.0.1', port: server.port, transport: 'tcp' });
	t.after(() => victim.close());
	const bystander = await TurnClient.connect({ host: '127.0.0.1', port: server.port, transport: 'tcp' });
	t.after(() => bystander.close());
	assert.equal((await victim.allocate(restCredential(SECRET, expiry, 'guest:ab12'))).code, 200);
	assert.equal((await bystander.allocate(restCredential(SECRET, expiry, 'guest:cd34'))).code, 200);

	sql(server.dbPath, `INSERT INTO ig_turn_revoked_subjects VALUES ('guest:ab12', ${now()}, ${expiry});`);
	const committed = Date.now();
	const closedAt = await Promise.race([victim.closed, sleep(5000).then(() => null)]);
	assert.ok(closedAt, 'the server closed the revoked session');
	assert.ok(closedAt - committed < BUDGET_MS, `closed ${closedAt - committed} ms after the revocation`);
	t.diagnostic(`TCP session closed ${closedAt - committed} ms after the revocation`);

	await sleep(600);
	assert.equal((await bystander.refresh(600)).code, 200, 'the other subject still refreshes');
});

test('a session whose credential expires after expiry_through is not cut', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const through = now() + 600;
	const later = await TurnClient.connect({ host: '127.0.0.1', port: server.port, transport: 'tcp' });
	t.after(() => later.close());
	assert.equal((await later.allocate(restCredential(SECRET, through + 60, 'dave'))).code, 200);
	sql(server.dbPath, `INSERT INTO ig_turn_revoked_subjects VALUES ('dave', ${now()}, ${through});`);
	const closedAt = await Promise.race([later.closed, sleep(1200).then(() => null)]);
	assert.equal(closedAt, null, 'the session was not closed');
	assert.equal((await later.refresh(600)).code, 200);
});

test('unrelated database writes do not cut sessions', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const client = await TurnClient.connect({ host: '127.0.0.1', port: server.port, transport: 'tcp' });
	t.after(() => client.close());
	assert.equal((await client.allocate(restCredential(SECRET, now() + 600, 'erin'))).code, 200);
	sql(server.dbPath, `CREATE TABLE unrelated (x); INSERT INTO unrelated VALUES (1);
		INSERT INTO ig_turn_revoked_usernames VALUES ('${now() + 600}:someone-else', ${now()});`);
	const closedAt = await Promise.race([client.closed, sleep(1200).then(() => null)]);
	assert.equal(closedAt, null, 'the session was not closed');
	assert.equal((await client.refresh(600)).code, 200);
});
