// The soak command's body (bench/soak.sh runs it with the binaries to use in
// ICEGATE_BIN and ICEGATE_CTL): runs the churn for the given time, prints a
// row per memory sample as it is taken and a summary at the end, and exits 1
// when the daemon's memory did not return to within the tolerance of its
// baseline or a call failed.
//
//   node bench/soak/main.mjs [--seconds N] [--pairs N]
import { DEFAULTS, describeResult, runSoak } from './soak.mjs';

function parseArguments(argv) {
	const options = {};
	for (let i = 0; i < argv.length; i++) {
		const value = argv[i + 1] ?? '';
		if (argv[i] === '--seconds' && /^[1-9][0-9]*$/.test(value)) options.seconds = Number(argv[++i]);
		else if (argv[i] === '--pairs' && /^[1-9][0-9]*$/.test(value) && Number(value) <= 100) options.pairs = Number(argv[++i]);
		else throw new Error(`usage: main.mjs [--seconds N] [--pairs 1-100] (bad argument ${argv[i]})`);
	}
	return options;
}

const pad = (value, width) => String(value ?? '-').padStart(width);

function printSample(sample) {
	console.log(
		[
			pad(sample.t.toFixed(0), 6),
			pad(sample.phase, 18),
			pad(sample.wave, 6),
			pad(sample.rssKib, 10),
			pad(sample.metricsRssKib, 12),
			pad(sample.connections, 11),
			pad(sample.sessions, 9),
		].join(' '),
	);
}

const options = parseArguments(process.argv.slice(2));
const seconds = options.seconds ?? DEFAULTS.seconds;
const pairs = options.pairs ?? DEFAULTS.pairs;
console.log(`soak: ${seconds} s of churn after a warm-up; waves of ${pairs} calls (${pairs * 2} connections at most)`);
console.log(
	[pad('t (s)', 6), pad('phase', 18), pad('wave', 6), pad('VmRSS KiB', 10), pad('/metrics KiB', 12), pad('connections', 11), pad('sessions', 9)].join(' '),
);
let failedWaves = 0;
try {
	const result = await runSoak({
		...options,
		onSample: printSample,
		onWave: (wave) => {
			if (wave.failures.length > 0 && failedWaves++ < 5) {
				console.log(`wave ${wave.wave}: ${wave.failures.length} of ${pairs} calls failed: ${wave.failures[0]}`);
			}
		},
	});
	console.log();
	for (const line of describeResult(result)) console.log(line);
	console.log(result.ok ? 'soak: ok' : 'soak: FAILED');
	process.exitCode = result.ok ? 0 : 1;
} catch (error) {
	console.error(`soak: ${error.message}`);
	process.exitCode = 1;
}
