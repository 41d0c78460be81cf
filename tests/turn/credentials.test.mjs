// The patched TURN server's credential decisions: REST API credentials signed
// with a secret from the database relay traffic; expired, foreign-secret and
// revoked (by username or by subject) credentials get 401, at Allocate and at
// Refresh; a failed revocation lookup refuses too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnClient, restCredential } from './lib/stun.mjs';
import { startTurnServer, runUclient, uclientArgs, sql, quote, now } from './lib/harness.mjs';

const SECRET = 'test-secret';

async function allocate(server, credential) {
	const client = await TurnClient.connect({ host: '127.0.0.1', port: server.port });
	try {
		return await client.allocate(credential);
	} finally {
		client.close();
	}
}

test('a valid credential allocates and relays traffic (uclient)', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() + 3600, 'alice');
	const run = await runUclient(uclientArgs(server, credential, { count: 20 }));
	assert.equal(run.code, 0, run.output);
	assert.match(run.output, /tot_send_msgs=40, tot_recv_msgs=40/);
	assert.match(run.output, /Total lost packets 0 \(0\.000000%\)/);
});

test('a valid credential allocates a relay address in the configured range', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const result = await allocate(server, restCredential(SECRET, now() + 600, 'guest:ab12'));
	assert.equal(result.code, 200, result.reason);
	assert.ok(result.relayed.port >= server.relay.min && result.relayed.port <= server.relay.max);
});

test('an expired credential gets 401', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() - 5, 'alice');
	assert.equal((await allocate(server, credential)).code, 401);
	const run = await runUclient(uclientArgs(server, credential));
	assert.notEqual(run.code, 0);
	assert.match(run.output, /Cannot complete Allocation/);
});

test('a credential signed with a secret not in the database gets 401', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	assert.equal((await allocate(server, restCredential('another-secret', now() + 600, 'alice'))).code, 401);
});

test('a wrong password for a valid username gets 401', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() + 600, 'alice');
	assert.equal((await allocate(server, { ...credential, password: credential.password.slice(1) + 'A' })).code, 401);
});

test('any of several secrets of the realm is accepted (secret rotation)', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	sql(server.dbPath, `INSERT INTO turn_secret (realm, value) VALUES ('icegate', 'next-secret');`);
	assert.equal((await allocate(server, restCredential('next-secret', now() + 600, 'alice'))).code, 200);
	assert.equal((await allocate(server, restCredential(SECRET, now() + 600, 'alice'))).code, 200);
	sql(server.dbPath, `DELETE FROM turn_secret WHERE value = ${quote(SECRET)};`);
	assert.equal((await allocate(server, restCredential(SECRET, now() + 600, 'alice'))).code, 401);
});

test('a secret of another realm is not accepted', async (t) => {
	const server = await startTurnServer({ secret: null });
	t.after(() => server.stop());
	sql(server.dbPath, `INSERT INTO turn_secret (realm, value) VALUES ('elsewhere', ${quote(SECRET)});`);
	assert.equal((await allocate(server, restCredential(SECRET, now() + 600, 'alice'))).code, 401);
});

test('a credential revoked by username gets 401; another credential of the subject still works', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const expiry = now() + 600;
	const revoked = restCredential(SECRET, expiry, 'alice');
	assert.equal((await allocate(server, revoked)).code, 200);
	sql(server.dbPath, `INSERT INTO ig_turn_revoked_usernames VALUES (${quote(revoked.username)}, ${now()});`);
	assert.equal((await allocate(server, revoked)).code, 401);
	assert.equal((await allocate(server, restCredential(SECRET, expiry + 1, 'alice'))).code, 200);
	assert.equal((await allocate(server, restCredential(SECRET, expiry, 'bob'))).code, 200);
	const run = await runUclient(uclientArgs(server, revoked));
	assert.notEqual(run.code, 0);
	assert.match(run.output, /Cannot complete Allocation/);
});

test('a subject revocation refuses credentials expiring up to expiry_through, not later ones', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const through = now() + 600;
	sql(server.dbPath, `INSERT INTO ig_turn_revoked_subjects VALUES ('guest:ab12', ${now()}, ${through});`);
	assert.equal((await allocate(server, restCredential(SECRET, through, 'guest:ab12'))).code, 401);
	assert.equal((await allocate(server, restCredential(SECRET, through - 300, 'guest:ab12'))).code, 401);
	assert.equal((await allocate(server, restCredential(SECRET, through + 1, 'guest:ab12'))).code, 200);
	// The subject is everything after the first ':', matched exactly.
	assert.equal((await allocate(server, restCredential(SECRET, through, 'guest'))).code, 200);
	assert.equal((await allocate(server, restCredential(SECRET, through, 'guest:ab123'))).code, 200);
});

test('Refresh with a credential revoked after the Allocate is refused', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() + 600, 'alice');
	const client = await TurnClient.connect({ host: '127.0.0.1', port: server.port });
	t.after(() => client.close());
	assert.equal((await client.allocate(credential)).code, 200);
	assert.equal((await client.refresh(600)).code, 200);
	sql(server.dbPath, `INSERT INTO ig_turn_revoked_usernames VALUES (${quote(credential.username)}, ${now()});`);
	const refresh = await client.refresh(600);
	// 401 from the credential check; 437 if the tear-down already removed the allocation.
	assert.ok([401, 437].includes(refresh.code), `Refresh answered ${refresh.code}`);
});

test('CreatePermission with a credential revoked by subject is refused', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() + 600, 'carol');
	const client = await TurnClient.connect({ host: '127.0.0.1', port: server.port });
	t.after(() => client.close());
	assert.equal((await client.allocate(credential)).code, 200);
	const peer = { address: '127.0.0.1', port: server.relay.min };
	assert.equal((await client.createPermission(peer)).code, 200);
	sql(server.dbPath, `INSERT INTO ig_turn_revoked_subjects VALUES ('carol', ${now()}, ${now() + 600});`);
	const permission = await client.createPermission(peer);
	assert.ok([401, 437].includes(permission.code), `CreatePermission answered ${permission.code}`);
});

test('a credential is refused when revocation cannot be checked', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() + 600, 'alice');
	assert.equal((await allocate(server, credential)).code, 200);
	// A table the lookup cannot use (CREATE TABLE IF NOT EXISTS keeps it).
	sql(server.dbPath, 'DROP TABLE ig_turn_revoked_subjects; CREATE TABLE ig_turn_revoked_subjects (unrelated TEXT);');
	assert.equal((await allocate(server, credential)).code, 401);
	assert.match(server.log(), /revocation check failed/);
});
