// The soak: a daemon on a fresh database, a few users, and waves of churn
// (bench/soak/churn.mjs) for a given time while the daemon's resident memory
// is sampled every second. Memory is judged the same way at two points:
//
//   baseline  after the warm-up (at least warmupWaves waves, which bring the
//             allocator's arenas to their steady size for the mix and use
//             every password-hashing thread, and beside them guest logins
//             that grow the database past the size of SQLite's page cache, as
//             a live deployment's is), once every connection has closed and
//             RSS has settled;
//   final     after the last wave, measured the same way.
//
// The soak passes when final <= baseline * (1 + tolerance), the growth from
// baseline to final is at most maxGrowthPerConnection bytes per WebSocket
// connection of the churn, and no call failed. The second bound is the
// sharper one on a short run: a daemon that has served a few logins holds
// tens of MiB that glibc keeps for its password-hashing threads, and 10 % of
// that hides a leak of a few hundred bytes per connection. The daemon is
// the one tests/lib/daemon.mjs starts (ICEGATE_BIN), so a sanitizer build
// also fails the soak on any report it prints at exit.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { freePort, startDaemon } from '../../tests/lib/daemon.mjs';
import { TokenPool, runWave } from './churn.mjs';
import { MemorySampler, settle } from './memory.mjs';

export const DEFAULTS = {
	seconds: 300, // of churn, after the warm-up
	pairs: 100, // calls per wave: 2 * pairs connections open at most
	users: 4,
	warmupWaves: 10,
	// SQLite's page cache is 2000 KiB by default (PRAGMA cache_size = -2000);
	// it is full once more pages than that have been written.
	warmupDatabaseBytes: 2.5 * 1024 * 1024,
	settleSeconds: 3,
	tolerance: 0.1,
	maxGrowthPerConnection: 256, // bytes; a session's own struct is 512
};

// The size of the daemon's database, WAL included, as a reader sees it.
function databaseBytes(daemon) {
	const out = execFileSync('sqlite3', ['-readonly', daemon.dbPath, 'PRAGMA page_count; PRAGMA page_size;'], {
		encoding: 'utf8',
		timeout: 10000,
	});
	const [pages, pageSize] = out.trim().split('\n').map(Number);
	return pages * pageSize;
}

// Guest logins for rooms with the longest names allowed (a refresh token
// row each, with random keys in three indexes), 50 at a time, until the
// database holds at least bytes.
async function fillDatabase(daemon, pool, bytes) {
	for (let batch = 0; databaseBytes(daemon) < bytes; batch++) {
		const room = `soak-fill-${batch}-`.padEnd(64, 'x');
		await Promise.all(Array.from({ length: 50 }, (_, i) => pool.guest(i % 2 ? 'sender' : 'receiver', room)));
	}
}

// Runs the soak. options: DEFAULTS overrides, plus onSample(sample) and
// onWave({wave, phase, calls, failures, seconds}) for progress. Resolves with
// {ok, baselineKib, peakKib, finalKib, ratio, growthPerConnection,
// churnConnections, waves, calls, failures, tokens, samples}; the daemon is
// stopped whatever happens.
export async function runSoak(options = {}) {
	const settings = { ...DEFAULTS, ...options };
	const metricsPort = await freePort();
	const daemon = await startDaemon({
		settings: {
			guest_access: 'on',
			// Every client comes from 127.0.0.1.
			max_connections_per_address: 10000,
			// One line per connection would fill the harness, not the daemon.
			log_level: 'warn',
			// Scrapes on a port of their own keep the signaling port's
			// connection count at zero between waves.
			metrics_listen: `127.0.0.1:${metricsPort}`,
		},
	});
	const sampler = new MemorySampler(daemon.child.pid, `http://127.0.0.1:${metricsPort}/metrics`, options.onSample);
	const failures = [];
	let calls = 0;
	let churnCalls = 0;
	let waves = 0;
	const pool = new TokenPool(
		daemon,
		Array.from({ length: settings.users }, (_, i) => ({ name: `soak-${i + 1}`, password: randomBytes(18).toString('base64') })),
	);
	const wave = async (phase) => {
		const started = Date.now();
		sampler.phase = phase;
		sampler.wave = ++waves;
		await pool.renew(waves);
		const result = await runWave(daemon, pool, waves, settings.pairs);
		calls += result.calls;
		if (phase === 'churn') churnCalls += result.calls;
		failures.push(...result.failures);
		options.onWave?.({ wave: waves, phase, ...result, seconds: (Date.now() - started) / 1000 });
	};

	let result;
	try {
		for (const user of pool.users) {
			const added = daemon.ctl(['user', 'add', user.name, '--password-stdin'], user.password);
			if (added.status !== 0) throw new Error(`icegatectl user add failed: ${added.stderr}`);
		}
		await pool.loginAll();
		sampler.start();
		let filled = false;
		const filling = fillDatabase(daemon, pool, settings.warmupDatabaseBytes).finally(() => (filled = true));
		filling.catch(() => {}); // reported by the await below, after the current wave
		for (let i = 0; i < settings.warmupWaves || !filled; i++) await wave('warm-up');
		await filling;
		const baselineKib = await settle(sampler, 'baseline', settings.settleSeconds);
		const churnEnds = Date.now() + settings.seconds * 1000;
		while (Date.now() < churnEnds) await wave('churn');
		const finalKib = await settle(sampler, 'final', settings.settleSeconds);
		await sampler.stop();
		const rss = sampler.samples.map((sample) => sample.rssKib).filter((value) => value !== null);
		const ratio = finalKib / baselineKib;
		const growthPerConnection = ((finalKib - baselineKib) * 1024) / Math.max(1, churnCalls * 2);
		result = {
			ok:
				ratio <= 1 + settings.tolerance &&
				growthPerConnection <= settings.maxGrowthPerConnection &&
				failures.length === 0,
			baselineKib,
			peakKib: Math.max(...rss),
			finalKib,
			ratio,
			tolerance: settings.tolerance,
			growthPerConnection,
			maxGrowthPerConnection: settings.maxGrowthPerConnection,
			waves,
			calls,
			churnConnections: churnCalls * 2,
			failures,
			tokens: { logins: pool.logins, refreshes: pool.refreshes, logouts: pool.logouts, guests: pool.guests },
			samples: sampler.samples,
		};
	} finally {
		await sampler.stop();
		await daemon.stop();
	}
	return result;
}

// The summary lines of a result, for people.
export function describeResult(result) {
	const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;
	const bound = Math.round(result.baselineKib * (1 + result.tolerance));
	return [
		`waves: ${result.waves}, calls: ${result.calls} (${result.calls * 2} connections), failed calls: ${result.failures.length}`,
		`tokens: ${result.tokens.logins} logins, ${result.tokens.refreshes} refreshes, ${result.tokens.logouts} logouts, ${result.tokens.guests} guest tokens`,
		`baseline (after warm-up, settled): ${result.baselineKib} KiB (${mib(result.baselineKib)})`,
		`peak:                              ${result.peakKib} KiB (${mib(result.peakKib)})`,
		`final (after the churn, settled):  ${result.finalKib} KiB (${mib(result.finalKib)})`,
		`final / baseline: ${result.ratio.toFixed(3)} (bound ${(1 + result.tolerance).toFixed(2)}: at most ${bound} KiB)`,
		`growth per connection of the churn: ${Math.round(result.growthPerConnection)} bytes over ${result.churnConnections} connections (bound ${result.maxGrowthPerConnection})`,
		...result.failures.slice(0, 5).map((failure) => `failed call: ${failure}`),
	];
}
