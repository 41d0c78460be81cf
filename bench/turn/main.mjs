// The TURN benchmark: the patched coturn and Debian's stock coturn started
// side by side with the same configuration (tests/turn/turnserver-test.conf),
// each on a temporary SQLite database with the shared schema and one secret
// for realm icegate, so both do the same authentication work. Measures, runs
// alternating which server goes first so drift on a shared machine hits both
// alike: Allocate rate, relayed throughput, their patched/stock ratios, and
// (patched only: stock coturn does not read revocations) the time from a
// revocation's commit to its allocations' teardown. Writes the Markdown
// tables to the file given with --report; progress goes to standard output.
//
//   node bench/turn/main.mjs [--smoke] [--runs N] --report FILE
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { startTurnServer, freePort, PATCHED, STOCK_TURNSERVER, sleep } from '../../tests/turn/lib/harness.mjs';
import { measureAllocations } from './allocate.mjs';
import { measureRelay } from './relay.mjs';
import { revocationTrial } from './revoke.mjs';
import { row, summarize, percentile, format } from './stats.mjs';

function parseArguments(argv) {
	const options = { smoke: false, runs: null, report: null };
	for (let i = 0; i < argv.length; i++) {
		if (argv[i] === '--smoke') options.smoke = true;
		else if (argv[i] === '--runs' && /^[1-9][0-9]*$/.test(argv[i + 1] ?? '')) options.runs = Number(argv[++i]);
		else if (argv[i] === '--report' && argv[i + 1]) options.report = argv[++i];
		else throw new Error(`usage: main.mjs [--smoke] [--runs N] --report FILE (bad argument ${argv[i]})`);
	}
	if (!options.report) throw new Error('--report FILE is required');
	return options;
}

// Smoke sizes only prove the harness works; their figures mean nothing.
function sizes(options) {
	if (options.smoke) {
		return { runs: options.runs ?? 1, allocSeconds: 0.3, concurrency: 4, clients: 2, messages: 100, length: 200, trials: 2, budgetMs: 30000 };
	}
	return { runs: options.runs ?? 5, allocSeconds: 3, concurrency: 32, clients: 8, messages: 25000, length: 200, trials: 30, budgetMs: 240000 };
}

function startPeer(port) {
	const child = spawn(PATCHED.uclient.replace(/turnutils_uclient$/, 'turnutils_peer'), ['-L', '127.0.0.1', '-p', String(port)], {
		stdio: 'ignore',
	});
	return {
		child,
		stop() {
			if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
		},
	};
}

async function main() {
	const options = parseArguments(process.argv.slice(2));
	const size = sizes(options);
	// Everything is bounded: past the budget the process ends and the
	// finally below (or the exit handler) kills what it started.
	const watchdog = setTimeout(() => {
		console.error(`turn benchmark: over its ${size.budgetMs / 1000} s budget, stopping`);
		process.exitCode = 1;
		cleanup().then(() => process.exit(1));
	}, size.budgetMs);
	const secret = randomBytes(24).toString('base64url');
	const started = [];
	const cleanup = async () => {
		for (const thing of started.splice(0)) await thing.stop();
	};
	for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => cleanup().then(() => process.exit(130)));

	try {
		const servers = {};
		servers.patched = await startTurnServer({ binary: PATCHED.turnserver, secret });
		started.push(servers.patched);
		servers.stock = await startTurnServer({ binary: STOCK_TURNSERVER, secret });
		started.push(servers.stock);
		const peerPort = await freePort();
		const peer = startPeer(peerPort);
		started.push(peer);
		await sleep(200);
		if (peer.child.exitCode !== null) throw new Error('turnutils_peer exited at start');
		console.log(`== patched coturn on 127.0.0.1:${servers.patched.port}, stock on 127.0.0.1:${servers.stock.port}, peer on ${peerPort}`);

		// Alternate the order run by run: A B, B A, A B...
		const order = (run) => (run % 2 ? ['stock', 'patched'] : ['patched', 'stock']);
		const alloc = { patched: [], stock: [] };
		console.log(`== allocate: ${size.concurrency} workers, ${size.allocSeconds} s per run, ${size.runs} runs per server`);
		for (let run = 0; run < size.runs; run++) {
			for (const name of order(run)) {
				const result = await measureAllocations(servers[name], {
					secret, seconds: size.allocSeconds, concurrency: size.concurrency, tag: `alloc-${run}`,
				});
				if (result.allocations === 0) throw new Error(`${name}: no allocation succeeded: ${JSON.stringify(result.failures)}`);
				const failed = Object.keys(result.failures).length ? ` failures ${JSON.stringify(result.failures)}` : '';
				console.log(`   run ${run + 1} ${name}: ${format(result.rate)} allocations/s, server CPU ${format(result.cpuPercent)}%, ${format(result.perCpuSecond)} per CPU-second${failed}`);
				alloc[name].push(result);
			}
		}

		const relay = { patched: [], stock: [] };
		console.log(`== relay: uclient ${size.clients} clients x ${size.messages} messages of ${size.length} bytes, ${size.runs} runs per server`);
		for (let run = 0; run < size.runs; run++) {
			for (const name of order(run)) {
				const result = await measureRelay(servers[name], {
					secret, subject: `relay-${run}`, peerPort, clients: size.clients, messages: size.messages, length: size.length,
				});
				console.log(`   run ${run + 1} ${name}: ${format(result.messagesPerSecond)} msgs/s, ${format(result.bytesPerSecond / 1e6)} MB/s, ${format(result.relayedPerCpuSecond)} relayed per CPU-second, loss ${format(result.lossPercent)}%`);
				relay[name].push(result);
			}
		}

		const latencies = [];
		console.log(`== revocation (patched): ${size.trials} trials`);
		for (let trial = 0; trial < size.trials; trial++) {
			latencies.push(await revocationTrial(servers.patched, { secret, subject: `revoke-${trial}` }));
		}
		const latency = summarize(latencies);
		console.log(`   teardown ms: p50 ${format(latency.median)}, p99 ${format(percentile(latencies, 0.99))}, max ${format(latency.max)}`);

		const pick = (list, key) => list.map((result) => result[key]);
		const lines = [
			`${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC. Both servers in one run, same configuration and database schema, runs alternating which server goes first; ${size.runs} runs per server. Cells: median (min–max).`,
			'',
			'| Figure | Patched | Stock | Patched / stock | Target |',
			'|---|---|---|---|---|',
			row(`Allocations/s (allocate + release, ${size.concurrency} workers)`, pick(alloc.patched, 'rate'), pick(alloc.stock, 'rate'), 'ratio ≥ 0.95'),
			row('Allocations per server CPU-second', pick(alloc.patched, 'perCpuSecond'), pick(alloc.stock, 'perCpuSecond')),
			row('Server CPU during allocations, % of one core', pick(alloc.patched, 'cpuPercent'), pick(alloc.stock, 'cpuPercent')),
			row(`Relayed round trips/s (${size.clients} uclient sessions, ${size.length} B)`, pick(relay.patched, 'messagesPerSecond'), pick(relay.stock, 'messagesPerSecond'), 'ratio ≥ 0.95'),
			row('Relayed payload, MB/s (one direction)', pick(relay.patched, 'bytesPerSecond').map((b) => b / 1e6), pick(relay.stock, 'bytesPerSecond').map((b) => b / 1e6)),
			row('Datagrams relayed per server CPU-second', pick(relay.patched, 'relayedPerCpuSecond'), pick(relay.stock, 'relayedPerCpuSecond')),
			row('Datagrams lost, %', pick(relay.patched, 'lossPercent'), pick(relay.stock, 'lossPercent')),
			'',
			`Revocation to teardown (patched only), ${size.trials} trials: p50 ${format(latency.median)} ms, p99 ${format(percentile(latencies, 0.99))} ms, max ${format(latency.max)} ms, min ${format(latency.min)} ms (target: p99 < 1,000 ms).`,
		];
		writeFileSync(options.report, lines.join('\n') + '\n');
	} finally {
		clearTimeout(watchdog);
		await cleanup();
	}
}

main().catch((error) => {
	console.error(`turn benchmark: ${error.message}`);
	process.exitCode = 1;
});
