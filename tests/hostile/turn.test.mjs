// Hostile TURN requests against the patched coturn run with the shipped
// etc/turnserver.conf (only ports, database and loopback addresses changed):
// a credential for another realm, one that has expired, one whose expiry is
// absurdly far away, and CreatePermission towards every address range a relay
// must never reach (loopback, private, link-local with the cloud metadata
// service, carrier-grade NAT, IPv6 loopback, unique-local, link-local and
// IPv4-mapped). After each refusal the server still relays for a good
// credential and a public peer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { SHIPPED_CONF, TEST_CONF, now, quote, sql, startTurnServer } from '../turn/lib/harness.mjs';
import { restCredential } from '../turn/lib/stun.mjs';
import { RawTurnClient } from './lib/h2-turn.mjs';

const SECRET = 'hostile-turn-secret';
const OTHER_REALM_SECRET = 'secret-of-another-realm';

// Runs body with a fresh client of server; closes it afterwards.
async function withClient(server, body) {
	const client = await RawTurnClient.connect('127.0.0.1', server.port);
	try {
		return await body(client);
	} finally {
		client.close();
	}
}

const allocateCode = (server, credential, options) => withClient(server, async (client) => (await client.allocate(credential, options)).code);

// A good credential still allocates and may reach a public peer.
async function assertStillServes(server) {
	await withClient(server, async (client) => {
		assert.equal((await client.allocate(restCredential(SECRET, now() + 600, 'alice'))).code, 200);
		assert.equal((await client.createPermission('8.8.8.8')).code, 200);
	});
}

describe('the shipped configuration', () => {
	let server;
	before(async () => {
		server = await startTurnServer({
			conf: SHIPPED_CONF,
			secret: SECRET,
			extraArgs: ['--listening-ip=127.0.0.1', '--relay-ip=127.0.0.1', '--relay-ip=::1'],
		});
		// A secret another realm's credentials are signed with, in the same table.
		sql(server.dbPath, `INSERT INTO turn_secret (realm, value) VALUES ('other', ${quote(OTHER_REALM_SECRET)});`);
	});
	after(() => server?.stop());

	describe('credentials', () => {
		test('a challenge answered with another realm is refused (437 wrong realm)', async () => {
			const result = await withClient(server, (client) => client.allocate(restCredential(SECRET, now() + 600, 'alice'), { realm: 'other' }));
			assert.equal(result.code, 437, result.reason);
			assert.match(result.reason, /realm/);
			await assertStillServes(server);
		});

		test("a credential signed with another realm's secret is refused (401)", async () => {
			assert.equal(await allocateCode(server, restCredential(OTHER_REALM_SECRET, now() + 600, 'alice')), 401);
			assert.equal(await allocateCode(server, restCredential(OTHER_REALM_SECRET, now() + 600, 'alice'), { realm: 'other' }), 437);
			await assertStillServes(server);
		});

		test('an expired credential is refused (401), however it spells its expiry', async () => {
			for (const expiry of [now() - 1, now() - 3600, 0, 'never', '']) {
				const code = await allocateCode(server, restCredential(SECRET, expiry, 'alice'));
				assert.equal(code, 401, `expiry ${JSON.stringify(expiry)}: ${code}`);
			}
			await assertStillServes(server);
		});

		test('an expiry beyond max-credential-lifetime (one day) is refused (401), wrapped or not', async () => {
			const day = 86400;
			for (const expiry of [
				'9999999999',
				now() + day + 120,
				now() + 10 * 365 * day,
				2 ** 32 + now() + 3600, // passes a 32-bit check as "in an hour"
				2 ** 32 + now() - 3600,
				'99999999999999999999999999',
			]) {
				const code = await allocateCode(server, restCredential(SECRET, expiry, 'alice'));
				assert.equal(code, 401, `expiry ${expiry}: ${code}`);
			}
			// icegate's own credentials live turn_credential_ttl (an hour by
			// default), at most turn_secret_window (a day).
			for (const expiry of [now() + 3600, now() + day - 120]) {
				assert.equal(await allocateCode(server, restCredential(SECRET, expiry, 'alice')), 200, `expiry ${expiry}`);
			}
			assert.match(server.log(), /refused: it expires more than 86400 s from now/);
			await assertStillServes(server);
		});
	});

	describe('peers in denied ranges', () => {
		const deniedV4 = {
			'loopback 127.0.0.1': '127.0.0.1',
			'loopback 127.1.2.3': '127.1.2.3',
			'RFC 1918 10/8': '10.0.0.1',
			'RFC 1918 172.16/12': '172.20.1.1',
			'RFC 1918 192.168/16': '192.168.0.1',
			'link-local 169.254/16': '169.254.1.1',
			'cloud metadata 169.254.169.254': '169.254.169.254',
			'CGNAT 100.64/10': '100.64.0.1',
			'CGNAT top 100.127.255.254': '100.127.255.254',
			'this network 0.0.0.0': '0.0.0.0',
			'broadcast 255.255.255.255': '255.255.255.255',
		};
		const deniedV6 = {
			'IPv6 loopback ::1': '::1',
			'IPv6 unspecified ::': '::',
			'unique local fc00::1': 'fc00::1',
			'unique local fd12:3456:789a::1': 'fd12:3456:789a::1',
			'unique local top fdff:...:ffff': 'fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
			'link-local fe80::1': 'fe80::1',
			'link-local top febf::1': 'febf::1',
			'IPv4-mapped loopback ::ffff:127.0.0.1': '::ffff:127.0.0.1',
			'IPv4-mapped metadata ::ffff:169.254.169.254': '::ffff:169.254.169.254',
			'IPv4-mapped RFC 1918 ::ffff:10.0.0.1': '::ffff:10.0.0.1',
			'IPv4-mapped public ::ffff:8.8.8.8': '::ffff:8.8.8.8',
			'NAT64 of loopback 64:ff9b::7f00:1': '64:ff9b::7f00:1',
			'6to4 of loopback 2002:7f00:1::1': '2002:7f00:1::1',
			'multicast ff02::1': 'ff02::1',
		};

		test('every IPv4 range is refused with 403; a public peer is allowed', async () => {
			await withClient(server, async (client) => {
				assert.equal((await client.allocate(restCredential(SECRET, now() + 600, 'alice'))).code, 200);
				for (const [what, address] of Object.entries(deniedV4)) {
					const result = await client.createPermission(address);
					assert.equal(result.code, 403, `${what}: ${result.code} ${result.reason}`);
				}
				assert.equal((await client.createPermission('1.1.1.1')).code, 200);
			});
		});

		test('every IPv6 range is refused with 403 on an IPv6 relay; a public peer is allowed', async () => {
			await withClient(server, async (client) => {
				const allocated = await client.allocate(restCredential(SECRET, now() + 600, 'alice'), { family: 'ipv6' });
				assert.equal(allocated.code, 200, allocated.reason);
				for (const [what, address] of Object.entries(deniedV6)) {
					const result = await client.createPermission(address);
					assert.equal(result.code, 403, `${what}: ${result.code} ${result.reason}`);
				}
				assert.equal((await client.createPermission('2606:4700:4700::1111')).code, 200);
			});
			await assertStillServes(server);
		});
	});
});

// What the option guards against: without it (the test configuration has
// none, as stock coturn) any future expiry passes, and the expiry check runs
// on 32 bits, so 2^32 seconds later is "now" again.
describe('without max-credential-lifetime', () => {
	test('a ten-year credential and a wrapped one are accepted; 9999999999 only by accident of the wrap', async (t) => {
		const server = await startTurnServer({ conf: TEST_CONF, secret: SECRET });
		t.after(() => server.stop());
		assert.equal(await allocateCode(server, restCredential(SECRET, now() + 10 * 365 * 86400, 'alice')), 200);
		assert.equal(await allocateCode(server, restCredential(SECRET, 2 ** 32 + now() + 3600, 'alice')), 200);
		// 9999999999 mod 2^32 is a date in 2014: expired, by accident.
		assert.equal(await allocateCode(server, restCredential(SECRET, '9999999999', 'alice')), 401);
	});
});
