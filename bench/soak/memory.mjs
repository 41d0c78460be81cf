// The soak's view of the daemon's memory: a sampler that reads, once a
// second, the daemon's VmRSS from /proc/PID/status and what the daemon says
// of itself on /metrics (icegate_process_resident_memory_bytes, open
// connections and sessions), tagged with the soak's phase; and the rule for a
// settled value, which the baseline and the final figure share.
import { readFileSync } from 'node:fs';

// VmRSS of pid in KiB, or null once the process is gone.
export function vmRssKib(pid) {
	try {
		const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
		return match ? Number(match[1]) : null;
	} catch {
		return null;
	}
}

// The samples of a Prometheus text exposition, by name with its labels as
// written (`icegate_connections{listener="signaling"}`).
export function parseGauges(text) {
	const gauges = {};
	for (const line of text.split('\n')) {
		const match = /^([a-z_]+(?:\{[^}]*\})?) (\S+)$/.exec(line);
		if (match) gauges[match[1]] = Number(match[2]);
	}
	return gauges;
}

const SIGNALING_CONNECTIONS = 'icegate_connections{listener="signaling"}';

// The daemon's gauges from its metrics listener (metricsUrl), or {}.
async function scrapeMetrics(metricsUrl) {
	try {
		const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(2000) });
		return parseGauges(await response.text());
	} catch {
		return {};
	}
}

// Samples the daemon once a second until stop(), handing each sample to
// onSample as it comes; samples holds
// {t (s since start), phase, wave, rssKib, metricsRssKib, connections (on the
// signaling port), sessions}.
export class MemorySampler {
	constructor(pid, metricsUrl, onSample = () => {}) {
		this.pid = pid;
		this.metricsUrl = metricsUrl;
		this.onSample = onSample;
		this.samples = [];
		this.phase = 'start';
		this.wave = 0;
		this.started = Date.now();
		this.timer = null;
		this.pending = Promise.resolve();
	}

	start() {
		this.timer = setInterval(() => {
			this.pending = this.take();
		}, 1000);
		this.pending = this.take();
	}

	async take() {
		const t = (Date.now() - this.started) / 1000;
		const rssKib = vmRssKib(this.pid);
		const gauges = await scrapeMetrics(this.metricsUrl);
		const metricsRss = gauges.icegate_process_resident_memory_bytes;
		const sample = {
			t,
			phase: this.phase,
			wave: this.wave,
			rssKib,
			metricsRssKib: metricsRss === undefined ? null : Math.round(metricsRss / 1024),
			connections: gauges[SIGNALING_CONNECTIONS] ?? null,
			sessions: gauges.icegate_websocket_sessions ?? null,
		};
		this.samples.push(sample);
		this.onSample(sample);
		return sample;
	}

	async stop() {
		clearInterval(this.timer);
		await this.pending;
	}
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Waits until the daemon holds no WebSocket session and no connection on its
// signaling port (bounded by timeoutMs), then samples for
// settleSeconds, one sample a second, under phase. The settled value is the
// median VmRSS of those samples: memory still being given back at the start
// of the window does not count, a single outlier does not decide.
export async function settle(sampler, phase, settleSeconds, timeoutMs = 15000) {
	const deadline = Date.now() + timeoutMs;
	sampler.phase = `${phase} (closing)`;
	for (;;) {
		const gauges = await scrapeMetrics(sampler.metricsUrl);
		if (gauges.icegate_websocket_sessions === 0 && gauges[SIGNALING_CONNECTIONS] === 0) break;
		if (Date.now() > deadline) throw new Error(`connections still open ${timeoutMs} ms after the wave ended`);
		await sleep(100);
	}
	sampler.phase = phase;
	const first = sampler.samples.length;
	await sleep(settleSeconds * 1000 + 100);
	const window = sampler.samples.slice(first).filter((sample) => sample.phase === phase && sample.rssKib !== null);
	if (window.length === 0) throw new Error(`no memory sample while ${phase}`);
	return median(window.map((sample) => sample.rssKib));
}

export function median(values) {
	const sorted = [...values].sort((a, b) => a - b);
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[middle] : Math.round((sorted[middle - 1] + sorted[middle]) / 2);
}
