// The short soak: 30 seconds of churn (bench/soak/: waves of 100 calls that
// connect, authenticate three ways, join, relay offer, answer and candidates,
// chat, leave or drop, between logins, refreshes, logouts and guest tokens)
// against the daemon in ICEGATE_BIN. Every call must succeed, and the
// daemon's resident memory, settled after the last wave has closed, must be
// within 10 % of its baseline (settled the same way after the warm-up) and
// have grown by at most 256 bytes per connection of the churn. A daemon built with AddressSanitizer keeps freed memory in
// quarantine, so there the memory bound is not checked; the churn still runs,
// and any sanitizer report at the daemon's exit fails the test.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { describeResult, runSoak } from '../../bench/soak/soak.mjs';
import { daemonBinary } from '../lib/daemon.mjs';

const CHURN_SECONDS = Number(process.env.ICEGATE_SOAK_SECONDS || 30);
const sanitized = readFileSync(daemonBinary).includes('__asan_init');

describe(`soak: ${CHURN_SECONDS} s of connection churn`, { timeout: (CHURN_SECONDS + 90) * 1000 }, () => {
	let result;
	before(async () => {
		result = await runSoak({ seconds: CHURN_SECONDS });
	});

	test('every call of every wave succeeds and the daemon exits cleanly', (t) => {
		for (const line of describeResult(result)) t.diagnostic(line);
		assert.ok(result.waves > 3, `churn waves ran after the warm-up (${result.waves} in all)`);
		assert.deepEqual(result.failures.slice(0, 5), [], `${result.failures.length} of ${result.calls + result.failures.length} calls failed`);
	});

	const memory = { skip: sanitized && 'AddressSanitizer build: freed memory stays in quarantine' };
	const rows = () => result.samples.map((s) => `${s.t.toFixed(0)} s ${s.phase}: ${s.rssKib} KiB`).join('\n');

	test('resident memory returns to within 10 % of its baseline after the churn', memory, () => {
		assert.ok(
			result.finalKib <= result.baselineKib * 1.1,
			`final RSS ${result.finalKib} KiB is more than 10 % over the baseline ${result.baselineKib} KiB\n${rows()}`,
		);
	});

	test('the churn leaves at most 256 bytes of resident memory per connection', memory, () => {
		assert.ok(
			result.growthPerConnection <= 256,
			`RSS grew by ${Math.round(result.growthPerConnection)} bytes per connection over ${result.churnConnections} connections\n${rows()}`,
		);
	});
});
