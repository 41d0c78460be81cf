// Allocation-rate load: CONCURRENCY workers, each in a loop opening a fresh
// TCP connection, answering the 401 challenge, allocating a relay with a TURN
// REST credential, and releasing it with Refresh(lifetime 0), for a fixed
// time. Each worker has its own subject so coturn's per-user quota (20 in
// the test configuration) is never what limits the rate. This is the work a
// TURN server does per call set-up: two Allocate transactions (one HMAC and
// one database read of the secrets, plus the revocation check in the patched
// server) and one authenticated Refresh. TCP, because coturn counts a UDP
// 5-tuple against the quotas until it times out, long after Refresh(0):
// UDP churn measures the quota, closing a TCP connection ends the session.
import { TurnClient, restCredential } from '../../tests/turn/lib/stun.mjs';
import { cpuSeconds } from './stats.mjs';

async function worker({ port, secret, subject, deadline, counts }) {
	const credential = restCredential(secret, Math.floor(Date.now() / 1000) + 600, subject);
	while (performance.now() < deadline) {
		const client = await TurnClient.connect({ host: '127.0.0.1', port, transport: 'tcp' });
		try {
			const allocation = await client.allocate({ ...credential, lifetime: 600 });
			if (!allocation.ok) {
				counts.failures.set(allocation.code, (counts.failures.get(allocation.code) ?? 0) + 1);
				continue;
			}
			const release = await client.refresh(0);
			if (release.ok) counts.allocations++;
			else counts.failures.set(`release ${release.code}`, (counts.failures.get(`release ${release.code}`) ?? 0) + 1);
		} catch (error) {
			counts.failures.set('timeout', (counts.failures.get('timeout') ?? 0) + 1);
		} finally {
			client.close();
		}
	}
	counts.finished = performance.now();
}

// Runs the load against server for seconds; resolves with the allocations
// made and released per second of wall time and per second of server CPU.
export async function measureAllocations(server, { secret, seconds, concurrency, tag }) {
	const counts = { allocations: 0, failures: new Map(), finished: 0 };
	const cpuBefore = cpuSeconds(server.child.pid);
	const start = performance.now();
	const deadline = start + seconds * 1000;
	const workers = [];
	for (let i = 0; i < concurrency; i++) {
		workers.push(worker({ port: server.port, secret, subject: `${tag}-${i}`, deadline, counts }));
	}
	await Promise.all(workers);
	const wall = (performance.now() - start) / 1000;
	const cpu = cpuSeconds(server.child.pid) - cpuBefore;
	return {
		allocations: counts.allocations,
		rate: counts.allocations / wall,
		perCpuSecond: cpu > 0 ? counts.allocations / cpu : NaN,
		cpuPercent: (100 * cpu) / wall,
		failures: Object.fromEntries(counts.failures),
	};
}
