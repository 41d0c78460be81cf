// Browser end-to-end tests of the faults an appliance meets in production,
// during a live call on the demo pages:
// - the daemon killed with SIGKILL and started again on the same port and
//   database: nothing it had written is lost (users, the JWT secret, the
//   TURN secrets, every refresh token it handed out, up to the instant of the
//   kill), and both pages rejoin within 3 s of the daemon listening again,
//   by themselves, and the video comes back;
// - coturn killed and started again during a relayed call: the allocations
//   are gone, the pages notice, fetch fresh TURN credentials, restart ICE
//   and the video plays again through the new coturn within 20 s.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createUserAndLogin, startDaemon } from '../lib/daemon.mjs';
import { get, post } from '../lib/rest.mjs';
import { assertVideoPlays, describePage, launchChromium, waitForState } from './browser.mjs';
import {
	allocationsFor,
	framesDuring,
	logLines,
	recordLogTimes,
	startCall,
	waitForFrames,
	waitForRelayRoute,
} from './lib/call.mjs';
import { freePort, startTurnServer } from './turn.mjs';

const TEST_TIMEOUT_MS = 120000;
const PASSWORD = 'correct horse battery';
// From the daemon listening again to each page's "joined".
const REJOIN_BOUND_MS = 3000;
// From coturn answering again to the receiver decoding new frames.
const RELAY_RECOVERY_BOUND_MS = 20000;
// Failed reconnect attempts the receiver makes before the daemon comes back:
// restarting right after one is the worst moment for the client (it waits a
// whole backoff delay), and by the third the delay has grown past 3 s unless
// the client keeps its early retries short.
const FAILED_ATTEMPTS_BEFORE_RESTART = 3;

function sqlite(dbPath, query) {
	return execFileSync('sqlite3', ['-readonly', '-bail', dbPath, query], { encoding: 'utf8', timeout: 10000 })
		.split('\n')
		.filter(Boolean);
}

// What the daemon must never lose, read from its database.
function durableState(daemon) {
	const now = Math.floor(Date.now() / 1000);
	const users = daemon.ctl(['user', 'list', '--json']);
	assert.equal(users.status, 0, users.stderr);
	return {
		users: JSON.parse(users.stdout),
		jwtSecrets: sqlite(daemon.dbPath, "SELECT key || '=' || value FROM ig_settings WHERE key LIKE 'jwt_secret%' ORDER BY key"),
		turnSecrets: sqlite(daemon.dbPath, "SELECT realm || '=' || value FROM turn_secret ORDER BY 1"),
		liveRefreshTokens: sqlite(
			daemon.dbPath,
			`SELECT token_hash FROM ig_refresh_tokens WHERE used_at IS NULL AND revoked = 0 AND expires_at > ${now + 60} ORDER BY 1`,
		),
	};
}

// Issues guest tokens one after another until the daemon stops answering;
// resolves with every token response that arrived (the daemon wrote each
// one before sending it) and the time the last one arrived.
async function issueTokensUntilGone(daemon) {
	const issued = [];
	let lastAt = 0;
	for (;;) {
		try {
			const response = await post(daemon, '/api/v1/auth/guest', { role: 'receiver' });
			if (response.status === 200) issued.push(response.json);
			lastAt = Date.now();
		} catch {
			return { issued, lastAt }; // the daemon is gone
		}
	}
}

describe('the daemon killed with SIGKILL during a call', () => {
	const dir = mkdtempSync(join(tmpdir(), 'icegate-faults-'));
	const settings = { guest_access: 'on' };
	let browser;
	let daemon;

	before(async () => {
		daemon = await startDaemon({ dir, settings });
		browser = await launchChromium();
	});

	after(async () => {
		await browser?.close();
		await daemon?.stop();
		rmSync(dir, { recursive: true, force: true });
	});

	test('nothing written is lost, and both pages rejoin within 3 s of the restart and play again', { timeout: TEST_TIMEOUT_MS }, async (t) => {
		const alice = { name: 'alice', password: PASSWORD };
		const bob = { name: 'bob', password: PASSWORD };
		// Token responses the clients hold: each must still work after the restart.
		const held = [await createUserAndLogin(daemon, 'alice', PASSWORD), await createUserAndLogin(daemon, 'bob', PASSWORD)];
		// A disabled user must come back disabled, and its tokens refused.
		const carol = await createUserAndLogin(daemon, 'carol', PASSWORD);
		assert.equal(daemon.ctl(['user', 'disable', 'carol']).status, 0);
		const { sender, receiver } = await startCall({
			base: daemon.base,
			senderBrowser: browser,
			receiverBrowser: browser,
			sender: alice,
			receiver: bob,
		});
		const before = durableState(daemon);
		assert.ok(before.jwtSecrets.length > 0 && before.turnSecrets.length > 0, 'the secrets are in the database');

		const senderJoins = await recordLogTimes(sender.page, 'joined room');
		const receiverJoins = await recordLogTimes(receiver.page, 'joined room');
		const receiverDrops = await recordLogTimes(receiver.page, 'connection closed (');

		// Token responses keep coming until the daemon is killed.
		const burst = issueTokensUntilGone(daemon);
		await sleep(300);
		daemon.child.kill('SIGKILL');
		const killedAt = Date.now();
		await daemon.stop(); // already dead: waits for the exit and scans the log
		const { issued, lastAt } = await burst;
		held.push(...issued);
		t.diagnostic(`${issued.length} guest tokens issued, the last at ${lastAt - killedAt} ms from the kill`);
		assert.ok(issued.length > 0, 'tokens were issued up to the kill');

		// Restart right after the receiver's third failed attempt.
		await receiverDrops(1 + FAILED_ATTEMPTS_BEFORE_RESTART);
		const restartingAt = Date.now();
		daemon = await startDaemon({ dir, port: daemon.port, settings });
		const listeningAt = Date.now();

		const rejoins = { receiver: (await receiverJoins(1, 15000))[0], sender: (await senderJoins(1, 15000))[0] };
		t.diagnostic(
			`outage ${listeningAt - killedAt} ms (start took ${listeningAt - restartingAt} ms); rejoined after ` +
				`receiver ${rejoins.receiver - listeningAt} ms, sender ${rejoins.sender - listeningAt} ms`,
		);
		for (const [page, at] of Object.entries(rejoins)) {
			assert.ok(at > listeningAt - 100, `the ${page} joined after the restart`);
			assert.ok(at - listeningAt <= REJOIN_BOUND_MS, `the ${page} rejoined ${at - listeningAt} ms after the daemon listened`);
		}
		await waitForState(receiver.page, '#peer-state', 'connected', 20000);
		await assertVideoPlays(receiver.page);

		const afterRestart = durableState(daemon);
		assert.deepEqual(afterRestart.users, before.users, 'the users, with their roles and states');
		assert.deepEqual(afterRestart.jwtSecrets, before.jwtSecrets, 'the JWT secret');
		for (const secret of before.turnSecrets) assert.ok(afterRestart.turnSecrets.includes(secret), 'every TURN secret');
		for (const hash of before.liveRefreshTokens) assert.ok(afterRestart.liveRefreshTokens.includes(hash), 'every live refresh token');
		// An access token signed before the kill is still accepted (same key)...
		assert.equal((await get(daemon, '/api/v1/me', { Authorization: `Bearer ${held[0].access_token}` })).status, 200);
		// ... and every refresh token that reached a client before the kill still works.
		const refused = [];
		for (const tokens of held) {
			const response = await post(daemon, '/api/v1/auth/refresh', { refresh_token: tokens.refresh_token });
			if (response.status !== 200) refused.push(response.status);
		}
		assert.deepEqual(refused, [], `of ${held.length} refresh tokens`);
		const disabled = await post(daemon, '/api/v1/auth/refresh', { refresh_token: carol.refresh_token });
		assert.notEqual(disabled.status, 200, 'a disabled user stays disabled');
		assert.deepEqual([...sender.errors, ...receiver.errors], []);
		await sender.context.close();
		await receiver.context.close();
	});
});

// Kills coturn the hard way (its pid file names it), so nothing is said to
// the clients, and waits for it to exit.
async function killTurnServer(turn, dir) {
	const pid = Number(readFileSync(join(dir, 'turnserver.pid'), 'utf8'));
	process.kill(pid, 'SIGKILL');
	await turn.stop();
}

describe('coturn restarted during a relayed call', () => {
	const dir = mkdtempSync(join(tmpdir(), 'icegate-faults-turn-'));
	let browser;
	let daemon;
	let turn;

	before(async () => {
		const turnPort = await freePort();
		daemon = await startDaemon({ dir, settings: { turn_host: '127.0.0.1', turn_port: turnPort, guest_access: 'on' } });
		await createUserAndLogin(daemon, 'bob', PASSWORD);
		// After the daemon: it creates the database and writes the TURN secret.
		turn = await startTurnServer({ port: turnPort, dbPath: daemon.dbPath, dir });
		browser = await launchChromium();
	});

	after(async () => {
		await browser?.close();
		await turn?.stop();
		await daemon?.stop();
		rmSync(dir, { recursive: true, force: true });
	});

	test('the pages get fresh credentials, restart ICE and play again through the new coturn', { timeout: TEST_TIMEOUT_MS }, async (t) => {
		const { sender, receiver } = await startCall({
			base: daemon.base,
			query: '?relay=1',
			senderBrowser: browser,
			receiverBrowser: browser,
			receiver: { name: 'bob', password: PASSWORD },
		});
		await waitForRelayRoute(receiver.page);
		const senderSubject = (await sender.page.locator('#who').textContent()).trim();
		const credentialsBefore = {
			bob: Math.max(...allocationsFor(turn.log(), 'bob')),
			sender: Math.max(...allocationsFor(turn.log(), senderSubject)),
		};
		await sleep(1100); // so that a credential minted from now on expires later

		await killTurnServer(turn, dir);
		const killedAt = Date.now();
		turn = await startTurnServer({ port: turn.port, dbPath: daemon.dbPath, dir });
		const restartedAt = Date.now();
		assert.equal(await framesDuring(receiver.page, 1000), 0, 'the video stopped with the relay');

		const resumedAt = await waitForFrames(receiver.page, RELAY_RECOVERY_BOUND_MS);
		t.diagnostic(`coturn down ${restartedAt - killedAt} ms; frames again ${resumedAt - restartedAt} ms after it answered`);
		assert.ok(resumedAt - restartedAt <= RELAY_RECOVERY_BOUND_MS);
		await assertVideoPlays(receiver.page);
		await waitForRelayRoute(receiver.page);
		const log = (await logLines(receiver.page, 'ICE')).reverse().join('\n');
		t.diagnostic(log.replaceAll('\n', ' | '));
		assert.match(log, /ICE: (disconnected|failed)/, 'the receiver saw its connection break');
		assert.match(log, /restarting ICE with fresh relay credentials/);

		// Both sides allocated again on the new coturn, with credentials minted
		// after the restart (a later expiry than any they held before).
		const bobAfter = allocationsFor(turn.log(), 'bob');
		const senderAfter = allocationsFor(turn.log(), senderSubject);
		assert.ok(bobAfter.length > 0 && Math.min(...bobAfter) > credentialsBefore.bob, `bob: ${credentialsBefore.bob}, then ${bobAfter}`);
		assert.ok(
			senderAfter.length > 0 && Math.min(...senderAfter) > credentialsBefore.sender,
			`sender: ${credentialsBefore.sender}, then ${senderAfter}`,
		);
		assert.deepEqual([...sender.errors, ...receiver.errors], []);
		await sender.context.close();
		await receiver.context.close();
	});
});
