// The shipped etc/turnserver.conf, run as is except for the ports, the
// database path and loopback-only listening: it authenticates from the
// database and refuses permissions towards every non-public peer range.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TurnClient, restCredential } from './lib/stun.mjs';
import { startTurnServer, SHIPPED_CONF, now } from './lib/harness.mjs';

const SECRET = 'test-secret';

const DENIED_PEERS = [
	'0.1.2.3', '10.1.2.3', '100.64.0.1', '100.127.255.254', '127.0.0.1', '127.255.255.254', '169.254.169.254',
	'172.16.0.1', '172.31.255.254', '192.0.0.8', '192.0.2.1', '192.88.99.1', '192.168.1.1', '198.18.0.1',
	'198.19.255.254', '198.51.100.7', '203.0.113.9', '224.0.0.251', '239.255.255.250', '240.0.0.1', '255.255.255.255',
];
const PUBLIC_PEERS = ['1.1.1.1', '8.8.8.8', '100.63.255.255', '100.128.0.1', '172.15.255.255', '172.32.0.1', '198.20.0.1'];

test('the shipped configuration authenticates from the database and refuses non-public peers', async (t) => {
	const server = await startTurnServer({
		conf: SHIPPED_CONF,
		secret: SECRET,
		extraArgs: ['--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1'],
	});
	t.after(() => server.stop());
	const client = await TurnClient.connect({ host: '127.0.0.1', port: server.port });
	t.after(() => client.close());
	assert.equal((await client.allocate(restCredential(SECRET, now() + 600, 'alice'))).code, 200);
	for (const address of DENIED_PEERS) {
		const result = await client.createPermission({ address, port: 9 });
		assert.equal(result.code, 403, `permission to ${address}: ${result.code}`);
	}
	for (const address of PUBLIC_PEERS) {
		const result = await client.createPermission({ address, port: 9 });
		assert.equal(result.code, 200, `permission to ${address}: ${result.code}`);
	}
	assert.doesNotMatch(server.log(), /Bad configuration|unknown option|unrecognized option|Wrong address format/i);
});
