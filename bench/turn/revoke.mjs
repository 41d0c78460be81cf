// Revocation-to-teardown latency of the patched server. One trial: a
// turnutils_uclient session relaying client to client (two allocations,
// a message every 5 ms) under a subject of its own; once its two relay
// sockets exist, a row is inserted into ig_turn_revoked_usernames with the
// sqlite3 command-line tool, as icegate would; the clock starts when that
// write has returned (committed) and stops when both relay sockets are gone
// from /proc/net/udp, i.e. when coturn has freed the allocations. The relay
// sockets are the allocation itself, so this is robust against anything the
// client does; the trial checks that uclient was still sending at the
// revocation, so the allocations did not end on their own.
import { startUclient, uclientArgs, boundUdpPorts, sql, quote, sleep } from '../../tests/turn/lib/harness.mjs';
import { restCredential } from '../../tests/turn/lib/stun.mjs';

const SETUP_TIMEOUT_MS = 5000;
const TEARDOWN_TIMEOUT_MS = 5000;
const POLL_PERIOD_MS = 250; // the patched server's revocation poll

async function until(predicate, timeoutMs) {
	const deadline = performance.now() + timeoutMs;
	while (performance.now() < deadline) {
		if (predicate()) return performance.now();
		await sleep(1);
	}
	return null;
}

// Resolves with the milliseconds from commit to teardown.
export async function revocationTrial(server, { secret, subject }) {
	const relayPorts = () => boundUdpPorts(server.relay.min, server.relay.max);
	const before = new Set(relayPorts());
	const credential = restCredential(secret, Math.floor(Date.now() / 1000) + 600, subject);
	// 20,000 messages every 5 ms: 100 s of traffic, far longer than a trial.
	const uclient = startUclient(uclientArgs(server, credential, { count: 20000, intervalMs: 5 }));
	try {
		let ours = [];
		const ready = await until(() => {
			ours = relayPorts().filter((port) => !before.has(port));
			return ours.length >= 2;
		}, SETUP_TIMEOUT_MS);
		if (ready === null) throw new Error(`uclient made no allocations:\n${uclient.output().slice(-1000)}`);
		// Let the session reach its data phase (permissions, channels), then
		// wait a random part of the server's 250 ms revocation poll: trials
		// otherwise fall into step with its timer and all measure one phase.
		await sleep(100 + Math.random() * POLL_PERIOD_MS);
		if (uclient.child.exitCode !== null) throw new Error('uclient ended before the revocation');

		sql(server.dbPath, `INSERT INTO ig_turn_revoked_usernames VALUES (${quote(credential.username)}, ${Math.floor(Date.now() / 1000)});`);
		const committed = performance.now();
		const gone = await until(() => {
			const live = new Set(relayPorts());
			return ours.every((port) => !live.has(port));
		}, TEARDOWN_TIMEOUT_MS);
		if (gone === null) throw new Error(`allocations still live ${TEARDOWN_TIMEOUT_MS} ms after the revocation`);
		return gone - committed;
	} finally {
		await uclient.kill();
	}
}
