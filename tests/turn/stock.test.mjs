// Why coturn is patched: Debian's stock coturn 4.6.1 (package coturn, binary
// /usr/bin/turnserver) accepts a revoked credential, the patched build refuses
// it, on the same configuration and the same database. The package must be
// installed without starting its service (its unit would take port 3478; these
// tests use their own random ports either way).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { TurnClient, restCredential } from './lib/stun.mjs';
import { startTurnServer, STOCK_TURNSERVER, PATCHED, sql, quote, now } from './lib/harness.mjs';

const SECRET = 'test-secret';

async function allocateWithRevoked(binary) {
	const server = await startTurnServer({ binary, secret: SECRET });
	try {
		const credential = restCredential(SECRET, now() + 600, 'mallory');
		sql(server.dbPath, `INSERT INTO ig_turn_revoked_usernames VALUES (${quote(credential.username)}, ${now()});
			INSERT INTO ig_turn_revoked_subjects VALUES ('mallory', ${now()}, ${now() + 600});`);
		const client = await TurnClient.connect({ host: '127.0.0.1', port: server.port });
		try {
			return await client.allocate(credential);
		} finally {
			client.close();
		}
	} finally {
		await server.stop();
	}
}

test('stock coturn accepts a revoked credential; the patched build refuses it', async () => {
	assert.ok(existsSync(STOCK_TURNSERVER), `${STOCK_TURNSERVER} is missing: apt-get install coturn (service not started)`);
	const stock = await allocateWithRevoked(STOCK_TURNSERVER);
	assert.equal(stock.code, 200, 'stock coturn allocates with the revoked credential');
	const patched = await allocateWithRevoked(PATCHED.turnserver);
	assert.equal(patched.code, 401, 'the patched build refuses it');
});
