// Browser end-to-end test of a call between two hosts that cannot reach each
// other: each browser runs in a network namespace of its own whose only route
// leads to the appliance (the daemon, and coturn run with the shipped
// etc/turnserver.conf, denied peer ranges and all, changed only in its
// addresses, ports and database). The pages do not force the relay: the call
// must find the relay by itself, because no other pair of candidates connects.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createUserAndLogin, startDaemon } from '../lib/daemon.mjs';
import { freePort, SHIPPED_CONF, startTurnServer } from '../turn/lib/harness.mjs';
import { allocationsFor, selectedCandidateTypes, startCall, waitForRelayRoute } from './lib/call.mjs';
import { APPLIANCE, createTopology, launchChromiumIn, RELAY, tryConnect } from './lib/netns.mjs';

const TEST_TIMEOUT_MS = 90000;
const PASSWORD = 'correct horse battery';

describe('a call between two hosts with no route to each other', () => {
	const dir = mkdtempSync(join(tmpdir(), 'icegate-netns-'));
	let topology;
	let daemon;
	let turn;
	const browsers = {};
	let base;

	before(async () => {
		topology = createTopology();
		const port = await freePort();
		const turnPort = await freePort();
		base = `http://${APPLIANCE}:${port}`;
		daemon = await startDaemon({
			dir,
			port,
			// Every address: the namespaces come in on APPLIANCE, startDaemon checks on 127.0.0.1.
			args: ['-p', String(port)],
			settings: { domain: APPLIANCE, turn_host: APPLIANCE, turn_port: turnPort, guest_access: 'on' },
		});
		await createUserAndLogin(daemon, 'bob', PASSWORD);
		turn = await startTurnServer({
			conf: SHIPPED_CONF,
			userdb: daemon.dbPath,
			port: turnPort,
			// 127.0.0.1 as well, where the harness checks that coturn answers.
			extraArgs: [`--listening-ip=${APPLIANCE}`, '--listening-ip=127.0.0.1', `--relay-ip=${RELAY}`, '--verbose'],
		});
		// Screen capture needs a secure context, which plain http:// on an
		// address other than loopback is not, unless the browser is told so.
		const secureOrigin = `--unsafely-treat-insecure-origin-as-secure=${base}`;
		browsers.a = await launchChromiumIn(topology.clients.a.namespace, [secureOrigin]);
		browsers.b = await launchChromiumIn(topology.clients.b.namespace, [secureOrigin]);
	});

	after(async () => {
		for (const browser of Object.values(browsers)) await browser.close().catch(() => {});
		await turn?.stop();
		await daemon?.stop();
		topology?.remove();
		rmSync(dir, { recursive: true, force: true });
	});

	test('the clients reach the appliance but not each other, and the call goes through the relay', { timeout: TEST_TIMEOUT_MS }, async () => {
		const { a, b } = topology.clients;
		assert.equal(tryConnect(a.namespace, APPLIANCE, daemon.port), 'connected', 'client a reaches the daemon');
		assert.equal(tryConnect(b.namespace, APPLIANCE, daemon.port), 'connected', 'client b reaches the daemon');
		assert.equal(tryConnect(a.namespace, b.address, 9), 'ENETUNREACH', 'client a has no route to client b');
		assert.equal(tryConnect(b.namespace, a.address, 9), 'ENETUNREACH', 'client b has no route to client a');
		assert.equal(tryConnect(a.namespace, RELAY, 9), 'ENETUNREACH', 'nor to the relay address');

		// The sender shares from namespace a, bob watches from namespace b.
		const { sender, receiver } = await startCall({
			base,
			senderBrowser: browsers.a,
			receiverBrowser: browsers.b,
			receiver: { name: 'bob', password: PASSWORD },
			trackPeers: true,
		});
		const route = await waitForRelayRoute(receiver.page);
		assert.match(route, new RegExp(`^local relay via turn:${APPLIANCE.replaceAll('.', '\\.')}:${turn.port}\\b.*, remote relay$`), route);
		for (const [side, page] of [['sender', sender.page], ['receiver', receiver.page]]) {
			const pairs = await selectedCandidateTypes(page);
			assert.deepEqual(pairs, [{ local: 'relay', remote: 'relay', localAddress: RELAY }], `the ${side}'s selected pair`);
		}
		const senderSubject = (await sender.page.locator('#who').textContent()).trim();
		assert.ok(allocationsFor(turn.log(), 'bob').length > 0, 'bob allocated on coturn');
		assert.ok(allocationsFor(turn.log(), senderSubject).length > 0, 'the sender allocated on coturn');
		assert.deepEqual([...sender.errors, ...receiver.errors], []);
		await sender.context.close();
		await receiver.context.close();
	});
});
