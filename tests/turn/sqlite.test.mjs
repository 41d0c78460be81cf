// The patched TURN server shares its SQLite database with a second writer
// (icegate): it waits for the writer's locks instead of failing the lookup,
// keeps the owner's WAL mode, never creates the database itself, and picks the
// database up once it appears without a restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { TurnClient, restCredential } from './lib/stun.mjs';
import { startTurnServer, sql, quote, now, sleep, SCHEMA } from './lib/harness.mjs';

const SECRET = 'test-secret';

async function allocate(server, credential) {
	const client = await TurnClient.connect({ host: '127.0.0.1', port: server.port });
	try {
		return await client.allocate(credential);
	} finally {
		client.close();
	}
}

// A sqlite3 process that takes a lock with `begin` and holds it until release().
async function holdLock(dbPath, begin) {
	const child = spawn('sqlite3', [dbPath], { stdio: ['pipe', 'pipe', 'pipe'] });
	let output = '';
	child.stdout.on('data', (chunk) => (output += chunk));
	child.stderr.on('data', (chunk) => (output += chunk));
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.stdin.write(`${begin};\nINSERT INTO turn_secret (realm, value) VALUES ('icegate', 'pending');\n.print locked\n`);
	const deadline = Date.now() + 5000;
	while (!output.includes('locked')) {
		if (Date.now() > deadline) throw new Error(`sqlite3 did not take the lock: ${output}`);
		await sleep(5);
	}
	return {
		async release() {
			child.stdin.end('COMMIT;\n');
			const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
			await exited;
			clearTimeout(timer);
		},
	};
}

test('a lookup waits for a writer holding an exclusive lock (rollback journal)', async (t) => {
	const server = await startTurnServer({ secret: SECRET, journalMode: 'DELETE' });
	t.after(() => server.stop());
	const lock = await holdLock(server.dbPath, 'BEGIN EXCLUSIVE');
	t.after(() => lock.release());
	const pending = allocate(server, restCredential(SECRET, now() + 600, 'alice'));
	await sleep(400);
	await lock.release();
	assert.equal((await pending).code, 200);
});

test('a lookup is not blocked by a WAL writer, and the journal mode stays WAL', async (t) => {
	const server = await startTurnServer({ secret: SECRET });
	t.after(() => server.stop());
	const lock = await holdLock(server.dbPath, 'BEGIN IMMEDIATE');
	t.after(() => lock.release());
	const started = Date.now();
	assert.equal((await allocate(server, restCredential(SECRET, now() + 600, 'alice'))).code, 200);
	assert.ok(Date.now() - started < 500, 'the lookup did not wait for the writer');
	await lock.release();
	assert.equal(sql(server.dbPath, 'PRAGMA journal_mode;').trim(), 'wal');
	// The writer's commit is visible at once: no read transaction was held open.
	assert.equal((await allocate(server, restCredential('pending', now() + 600, 'alice'))).code, 200);
});

test('a missing database is not created, and is used once it appears', async (t) => {
	const server = await startTurnServer({ secret: SECRET, createDb: false });
	t.after(() => server.stop());
	const credential = restCredential(SECRET, now() + 600, 'alice');
	assert.equal((await allocate(server, credential)).code, 401);
	assert.equal(existsSync(server.dbPath), false, 'the TURN server did not create the database');
	sql(server.dbPath, 'PRAGMA journal_mode=WAL;' + SCHEMA + `INSERT INTO turn_secret (realm, value) VALUES ('icegate', ${quote(SECRET)});`);
	assert.equal((await allocate(server, credential)).code, 200);
});

test('secrets with quotes and SQL in them are matched literally', async (t) => {
	const server = await startTurnServer({ secret: null });
	t.after(() => server.stop());
	const secret = "x' OR '1'='1";
	sql(server.dbPath, `INSERT INTO turn_secret (realm, value) VALUES ('icegate', ${quote(secret)});`);
	assert.equal((await allocate(server, restCredential(secret, now() + 600, 'alice'))).code, 200);
	assert.equal((await allocate(server, restCredential('x', now() + 600, 'alice'))).code, 401);
});
