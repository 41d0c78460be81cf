// Relayed-throughput load: turnutils_uclient allocating CLIENTS relays and
// sending MESSAGES messages of LENGTH bytes each, without pacing (-z 0),
// through the relay to turnutils_peer, which echoes them back the same way.
// uclient prints its totals about once a second ("start_mclient: msz=...,
// tot_send_msgs=..., tot_recv_msgs=...") and flushes each line; the rate is
// taken between the first line showing traffic and the last line where the
// received count grew, on our clock, so neither set-up nor uclient's long
// wait for lost datagrams counts. Once everything is sent and nothing more
// arrives for STRAGGLER_MS, uclient is stopped instead of waited for.
import { spawn } from 'node:child_process';
import { PATCHED } from '../../tests/turn/lib/harness.mjs';
import { restCredential } from '../../tests/turn/lib/stun.mjs';
import { cpuSeconds } from './stats.mjs';

const PROGRESS = /start_mclient: msz=\d+, tot_send_msgs=(\d+), tot_recv_msgs=(\d+), tot_send_bytes ~ \d+, tot_recv_bytes ~ (\d+)/;
const TOTALS = /start_mclient: tot_send_msgs=(\d+), tot_recv_msgs=(\d+)$/;
const STRAGGLER_MS = 1500;
const RUN_TIMEOUT_MS = 60000;

// Turns uclient's lines, each stamped with its arrival (ms), into the
// steady-state window: { seconds, messages/s, bytes/s } or null when the run
// was too short to have one, and the final { sent, received }.
export function relayWindow(stampedLines, length) {
	const samples = [];
	let sent = 0;
	let received = 0;
	for (const { at, line } of stampedLines) {
		const progress = PROGRESS.exec(line);
		const total = progress ? null : TOTALS.exec(line);
		if (!progress && !total) continue;
		const match = progress ?? total;
		sent = Number(match[1]);
		received = Number(match[2]);
		if (sent > 0) samples.push({ at, received });
	}
	const last = samples.findIndex((sample) => sample.received === received);
	const first = samples[0];
	if (!first || last <= 0 || samples[last].at <= first.at) return { sent, received, window: null };
	const seconds = (samples[last].at - first.at) / 1000;
	const messages = (samples[last].received - first.received) / seconds;
	return { sent, received, window: { seconds, messages, bytes: messages * length } };
}

// One uclient run against server, through the peer on peerPort. subject must
// be new for every run: uclient leaves its allocations to expire, and the
// per-user quota would refuse a second run with the same username.
export async function measureRelay(server, { secret, subject, peerPort, clients, messages, length }) {
	const credential = restCredential(secret, Math.floor(Date.now() / 1000) + 600, subject);
	const args = ['-c', '-m', String(clients), '-n', String(messages), '-z', '0', '-l', String(length),
		'-e', '127.0.0.1', '-r', String(peerPort), '-u', credential.username, '-w', credential.password,
		'-p', String(server.port), '127.0.0.1'];
	const expected = clients * messages;
	const cpuBefore = cpuSeconds(server.child.pid);
	const lines = [];
	let tail = '';
	let lastGrowth = performance.now();
	let lastReceived = -1;
	const child = spawn(PATCHED.uclient, args, { stdio: ['ignore', 'pipe', 'pipe'] });
	const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
	const onData = (chunk) => {
		const text = tail + chunk;
		const complete = text.split('\n');
		tail = complete.pop();
		const at = performance.now();
		for (const line of complete) lines.push({ at, line });
	};
	child.stdout.on('data', onData);
	child.stderr.on('data', onData);
	const started = performance.now();
	let status = null;
	let stopped = false;
	while (status === null) {
		status = await Promise.race([exited, new Promise((resolve) => setTimeout(() => resolve(null), 100))]);
		if (status !== null) break;
		const { sent, received } = relayWindow(lines, length);
		if (received !== lastReceived) {
			lastReceived = received;
			lastGrowth = performance.now();
		}
		const drained = sent === expected && performance.now() - lastGrowth > STRAGGLER_MS;
		if (drained || performance.now() - started > RUN_TIMEOUT_MS) {
			stopped = drained;
			child.kill('SIGKILL');
			status = await exited;
			if (!drained) throw new Error(`turnutils_uclient did not finish within ${RUN_TIMEOUT_MS / 1000} s`);
		}
	}
	const cpu = cpuSeconds(server.child.pid) - cpuBefore;
	const { sent, received, window } = relayWindow(lines, length);
	if ((!stopped && status !== 0) || received === 0) {
		throw new Error(`turnutils_uclient failed (${status}):\n${lines.slice(-15).map((l) => l.line).join('\n')}`);
	}
	return {
		// A smoke run is too short for a steady-state window: no rate then.
		messagesPerSecond: window ? window.messages : NaN,
		bytesPerSecond: window ? window.bytes : NaN,
		// Each message crosses the relay twice (to the peer and back).
		relayedPerCpuSecond: cpu > 0 ? (2 * received) / cpu : NaN,
		lossPercent: (100 * (sent - received)) / sent,
	};
}
