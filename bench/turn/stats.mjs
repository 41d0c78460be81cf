// Small helpers shared by the TURN benchmark's scenarios: the median, minimum
// and maximum of a set of runs, percentiles of latency samples, a server's
// CPU time from /proc (coturn is multi-threaded: the process's total counts),
// and the Markdown rows the report is made of.
import { readFileSync } from 'node:fs';

export function summarize(values) {
	if (values.length === 0) return { median: NaN, min: NaN, max: NaN };
	const sorted = [...values].sort((a, b) => a - b);
	const middle = sorted.length >> 1;
	const median = sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
	return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

// Nearest-rank percentile: with 30 samples p99 is the largest, which is what
// a "p99 < 1 s" target must be checked against.
export function percentile(values, fraction) {
	const sorted = [...values].sort((a, b) => a - b);
	const rank = Math.max(1, Math.ceil(fraction * sorted.length));
	return sorted[rank - 1];
}

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

// User plus system CPU seconds used so far by process pid, all threads.
export function cpuSeconds(pid) {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

export function format(value) {
	if (!Number.isFinite(value)) return 'n/a';
	if (Math.abs(value) >= 100) return String(Math.round(value));
	return String(Number(value.toPrecision(3)));
}

// One table row: label, then median / min / max of each server's runs.
export function row(label, patched, stock, target = '') {
	const p = summarize(patched);
	const s = summarize(stock);
	return `| ${label} | ${format(p.median)} (${format(p.min)}–${format(p.max)}) | ${format(s.median)} (${format(s.min)}–${format(s.max)}) | ${format(p.median / s.median)} | ${target} |`;
}
