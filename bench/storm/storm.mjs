// storm.mjs: the join storm's client fleet, run by bench/storm.sh. It opens
// CLIENTS WebSockets to icegate from the loopback source addresses
// 127.0.0.2 onwards, each authenticating with the same bearer token on the
// upgrade request and joining a room of two (the even client as receiver, the
// odd one as sender), at most CONCURRENCY in setup at once so the listen
// backlog never overflows. It measures the time from the first connect to
// the last `joined`, records every failure with its cause, and reports its
// own CPU and the daemon's (from /proc/PID/stat) over the storm. Then it
// closes every connection and waits for the daemon to close them back.
//
// Output: key=value lines on standard output, failures on standard error.
// Exit status 0 only when every client joined and every connection closed
// cleanly. A deadline bounds each phase: it always stops by itself.
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";

import { StormSocket } from "./wsclient.mjs";

const usage = `usage: node storm.mjs --server HOST:PORT --token-file FILE [options]
  --clients N        connections (default 10000), in rooms of two
  --concurrency N    connections in setup at once (default 256)
  --sources N        source addresses 127.0.0.2 onwards (default 8, at most 253)
  --timeout S        seconds for the whole storm (default 60); then the rest fail
  --daemon-pid PID   also report this process's CPU over the storm
  --clock-ticks N    clock ticks per second of /proc/PID/stat (getconf CLK_TCK; default 100)
  --room-prefix P    room names P0, P1, ... (default storm-)`;

function fail(message) {
	process.stderr.write(`storm: ${message}\n${usage}\n`);
	process.exit(2);
}

function positive(text, name, max = Infinity) {
	const value = Number(text);
	if (!Number.isInteger(value) || value < 1 || value > max)
		fail(`--${name} needs a whole number from 1 to ${max}`);
	return value;
}

function readOptions() {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				server: { type: "string" },
				"token-file": { type: "string" },
				clients: { type: "string", default: "10000" },
				concurrency: { type: "string", default: "256" },
				sources: { type: "string", default: "8" },
				timeout: { type: "string", default: "60" },
				"daemon-pid": { type: "string" },
				"clock-ticks": { type: "string", default: "100" },
				"room-prefix": { type: "string", default: "storm-" },
			},
		}));
	} catch (error) {
		fail(error.message);
	}
	if (!values.server || !values["token-file"]) fail("--server and --token-file are required");
	const [host, portText] = values.server.split(":");
	// Only loopback: a storm aimed elsewhere would be an attack, not a benchmark.
	if (!/^127\.\d+\.\d+\.\d+$/.test(host)) fail("--server must be a 127.0.0.0/8 address");
	const token = readFileSync(values["token-file"], "utf8").trim();
	if (!token) fail(`${values["token-file"]} holds no token`);
	const clients = positive(values.clients, "clients");
	if (clients % 2 !== 0) fail("--clients must be even: rooms hold two");
	return {
		host,
		port: positive(portText, "server's port", 65535),
		token,
		clients,
		concurrency: positive(values.concurrency, "concurrency"),
		sources: positive(values.sources, "sources", 253),
		timeoutMs: positive(values.timeout, "timeout") * 1000,
		daemonPid: values["daemon-pid"] ? positive(values["daemon-pid"], "daemon-pid") : null,
		clockTicks: positive(values["clock-ticks"], "clock-ticks"),
		roomPrefix: values["room-prefix"],
	};
}

// User plus system seconds of every thread of PID (fields 14 and 15, counted
// after the command name, which may hold spaces).
function processCpuSeconds(pid, ticksPerSecond) {
	const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
	const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
	return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}

function ownCpuSeconds() {
	const usage = process.cpuUsage();
	return (usage.user + usage.system) / 1e6;
}

function percentile(sorted, p) {
	if (sorted.length === 0) return 0;
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

class Storm {
	constructor(options) {
		this.options = options;
		this.sockets = [];
		this.next = 0;
		this.inSetup = 0;
		this.joined = 0;
		this.failures = new Map(); // cause -> count
		this.failed = 0; // in setup
		this.dropped = 0; // closed by the daemon after joining
		this.closeFailed = 0; // no clean close at the end
		this.setupMs = [];
		this.firstConnect = 0;
		this.lastJoined = 0;
	}

	run() {
		return new Promise((resolve) => {
			this.finish = resolve;
			this.deadline = setTimeout(() => this.expire(), this.options.timeoutMs);
			this.firstConnect = performance.now();
			this.fill();
		});
	}

	fill() {
		while (this.inSetup < this.options.concurrency && this.next < this.options.clients)
			this.open(this.next++);
		if (this.joined + this.failed === this.options.clients) {
			clearTimeout(this.deadline);
			this.finish();
		}
	}

	open(index) {
		const { host, port, token, sources } = this.options;
		const started = performance.now();
		const client = { state: "connecting", index };
		client.socket = new StormSocket(
			{
				host,
				port,
				localAddress: `127.0.0.${2 + (index % sources)}`,
				path: "/ws",
				headers: { Authorization: `Bearer ${token}` },
			},
			{
				fail: (cause) => this.fail(client, cause),
				close: (code, reason) => {
					if (client.state === "closing") this.closed(client);
					else this.fail(client, `closed ${code} ${reason || "(no reason)"} while ${client.state}`);
				},
				message: (text) => this.receive(client, text, started),
			},
		);
		this.sockets.push(client);
		this.inSetup++;
	}

	receive(client, text, started) {
		let message;
		try {
			message = JSON.parse(text);
		} catch {
			return this.fail(client, "a message that is not JSON");
		}
		if (message.type === "authenticated" && client.state === "connecting") {
			client.state = "authenticated";
			client.socket.send(
				JSON.stringify({
					type: "join",
					room: `${this.options.roomPrefix}${client.index >> 1}`,
					role: client.index % 2 === 0 ? "receiver" : "sender",
				}),
			);
		} else if (message.type === "joined" && client.state === "authenticated") {
			client.state = "joined";
			const now = performance.now();
			this.setupMs.push(now - started);
			this.lastJoined = now;
			this.joined++;
			this.inSetup--;
			this.fill();
		} else if (message.type === "error") {
			this.fail(client, `error ${message.code}: ${message.message}`);
		}
	}

	// A client failed: in setup, after joining (the daemon dropped it) or
	// while closing. Each counts once, with its cause.
	fail(client, cause) {
		const state = client.state;
		if (state === "failed" || state === "closed") return;
		client.state = "failed";
		client.socket.destroy();
		const phase = state === "closing" ? "at the end: " : state === "joined" ? "after joining: " : "";
		this.failures.set(phase + cause, (this.failures.get(phase + cause) || 0) + 1);
		if (state === "closing") {
			this.closeFailed++;
			if (this.onClosed) this.onClosed();
		} else if (state === "joined") {
			this.dropped++;
		} else {
			this.failed++;
			this.inSetup--;
			this.fill();
		}
	}

	closed(client) {
		client.state = "closed";
		if (this.onClosed) this.onClosed();
	}

	expire() {
		for (const client of this.sockets)
			if (client.state === "connecting" || client.state === "authenticated")
				this.fail(client, `not joined within the ${this.options.timeoutMs / 1000} s deadline`);
		const unopened = this.options.clients - this.next;
		if (unopened > 0) {
			this.failures.set("never opened before the deadline", unopened);
			this.failed += unopened;
			this.next = this.options.clients;
		}
		this.finish();
	}

	// Closes every joined connection with 1000 and waits for the daemon's
	// close frames. Resolves to the number still open after the wait.
	closeAll(waitMs) {
		const open = this.sockets.filter((client) => client.state === "joined");
		let pending = open.length;
		return new Promise((resolve) => {
			if (pending === 0) return resolve(0);
			const timer = setTimeout(() => resolve(pending), waitMs);
			this.onClosed = () => {
				if (--pending === 0) {
					clearTimeout(timer);
					resolve(0);
				}
			};
			for (const client of open) {
				client.state = "closing";
				client.socket.close(1000, "storm over");
			}
		});
	}
}

const options = readOptions();
const storm = new Storm(options);
const daemonCpu = () => (options.daemonPid ? processCpuSeconds(options.daemonPid, options.clockTicks) : 0);
const daemonCpuBefore = daemonCpu();
const ownCpuBefore = ownCpuSeconds();
await storm.run();
const wallSeconds = ((storm.lastJoined || performance.now()) - storm.firstConnect) / 1000;
const ownCpu = ownCpuSeconds() - ownCpuBefore;
const daemonCpuSeconds = daemonCpu() - daemonCpuBefore;
const notClosed = await storm.closeAll(10000);

const setup = storm.setupMs.sort((a, b) => a - b);
const lines = [
	`clients=${options.clients}`,
	`joined=${storm.joined}`,
	`failed=${storm.failed}`,
	`dropped=${storm.dropped}`,
	`close_failed=${storm.closeFailed}`,
	`not_closed=${notClosed}`,
	`storm_seconds=${wallSeconds.toFixed(3)}`,
	`joins_per_second=${(storm.joined / wallSeconds).toFixed(0)}`,
	`setup_p50_ms=${percentile(setup, 50).toFixed(1)}`,
	`setup_p99_ms=${percentile(setup, 99).toFixed(1)}`,
	`setup_max_ms=${percentile(setup, 100).toFixed(1)}`,
	`generator_cpu_percent=${((100 * ownCpu) / wallSeconds).toFixed(1)}`,
];
if (options.daemonPid) {
	lines.push(`daemon_cpu_percent=${((100 * daemonCpuSeconds) / wallSeconds).toFixed(1)}`);
	// The daemon's capacity, whoever was the limit: joins it could take per second of one core.
	lines.push(`joins_per_daemon_cpu_second=${daemonCpuSeconds > 0 ? (storm.joined / daemonCpuSeconds).toFixed(0) : 0}`);
	lines.push(`generator_cpu_per_daemon_cpu=${daemonCpuSeconds > 0 ? (ownCpu / daemonCpuSeconds).toFixed(2) : 0}`);
}
process.stdout.write(lines.join("\n") + "\n");
for (const [cause, count] of storm.failures) process.stderr.write(`storm: ${count} client(s): ${cause}\n`);
if (notClosed > 0) process.stderr.write(`storm: ${notClosed} connection(s) not closed by the daemon within 10 s\n`);
const clean = storm.failed === 0 && storm.dropped === 0 && storm.closeFailed === 0 && notClosed === 0;
process.exit(clean ? 0 : 1);
