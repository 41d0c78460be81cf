#!/usr/bin/env bash
# mint.sh: how many TURN credentials icegate mints per second. wrk sends
# GET /api/v1/ice-servers over keep-alive connections, each request carrying
# the same bearer token, so every one costs a JWT verification, a user check
# and a freshly minted credential. It runs several times against one daemon
# and prints requests/s (median, min, max), the daemon's CPU as a percentage
# of one core (from /proc/PID/stat), requests per daemon CPU-second, and
# wrk's own CPU, which says whether the generator was the limit. A run with
# any socket error or any response other than 200 fails the script.
#
# `--smoke` runs a one-second, four-connection version whose exit status
# says whether the harness works. Figures are reported, never asserted.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
build_dir=${ICEGATE_BUILD_DIR:-$repo/build}
smoke=0
runs=""

usage() {
	cat <<EOF
usage: bench/mint.sh [--smoke] [--build-dir DIR] [--runs N]

  --smoke          one second, four connections; exit status says whether the harness works
  --build-dir DIR  where icegate and icegatectl were built
                   (default: \$ICEGATE_BUILD_DIR or $repo/build)
  --runs N         wrk runs (default 5)

Sizes can be changed through the environment: MINT_THREADS (wrk threads,
default 2), MINT_CONNECTIONS (keep-alive connections, default 64),
MINT_DURATION (seconds per run, default 5). Needs wrk (Debian's wrk package).
EOF
}

die() {
	echo "mint.sh: $*" >&2
	exit 1
}

# shellcheck source=SCRIPTDIR/lib/daemon.sh
. "$here/lib/daemon.sh"
bench_parse_options "$@"
command -v wrk >/dev/null || die "wrk is missing (Debian: apt-get install wrk)"

if [ $smoke = 1 ]; then
	threads=1 connections=4 duration=1 runs=1
else
	threads=${MINT_THREADS:-2} connections=${MINT_CONNECTIONS:-64}
	duration=${MINT_DURATION:-5} runs=${runs:-5}
fi
[ "$connections" -ge "$threads" ] || die "MINT_CONNECTIONS must be at least MINT_THREADS"

workdir=$(mktemp -d "${TMPDIR:-/tmp}/icegate-mint.XXXXXX")
cleanup() {
	bench_stop_daemon
	rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
ulimit -n "$(ulimit -Hn)"

bench_create_store mint
bench_start_daemon
echo "== icegate on 127.0.0.1:$bench_port (pid $bench_daemon_pid)"

# Before measuring, the endpoint must answer this token with 200 and refuse a
# request without one: the figures are only worth something if every request
# went through token verification.
(umask 077 && printf 'Authorization: Bearer %s\n' "$(cat "$bench_token_file")" >"$workdir/headers")
status=$(bench_http_status /api/v1/ice-servers "$workdir/headers")
[[ $status == "HTTP/1.1 200"* ]] || die "GET /api/v1/ice-servers with the token answered '$status'"
status=$(bench_http_status /api/v1/ice-servers)
[[ $status == "HTTP/1.1 401"* ]] || die "GET /api/v1/ice-servers without a token answered '$status'"

ticks_per_second=$(bench_clock_ticks_per_second)

# mint_run OUT: one wrk run; its key=value lines, the daemon's and wrk's CPU
# go to OUT. Fails the script unless every response was a 200.
mint_run() {
	local out=$1 before after started ended wrk_cpu
	before=$(bench_cpu_ticks "$bench_daemon_pid")
	started=$(bench_now)
	# `times` in the subshell reports the CPU of its only child, wrk.
	if ! (
		MINT_TOKEN_FILE=$bench_token_file wrk --threads "$threads" --connections "$connections" \
			--duration "${duration}s" --timeout 5s --script "$here/mint/ice_servers.lua" \
			"http://127.0.0.1:$bench_port/api/v1/ice-servers" >"$out.wrk"
		times >"$out.times"
	); then
		cat "$out.wrk" >&2
		die "wrk failed"
	fi
	ended=$(bench_now)
	after=$(bench_cpu_ticks "$bench_daemon_pid")
	# Second line of `times`: children's user and system time, as XmY.YYYs.
	wrk_cpu=$(sed -n 2p "$out.times" | awk '{
		t = 0
		for (i = 1; i <= 2; i++) { split($i, p, "m"); sub("s", "", p[2]); t += p[1] * 60 + p[2] }
		print t }')
	grep -E '^[a-z_0-9]+=' "$out.wrk" >"$out.raw"
	cp "$out.raw" "$out"
	awk -v before="$before" -v after="$after" -v hz="$ticks_per_second" \
		-v started="$started" -v ended="$ended" -v wrk_cpu="$wrk_cpu" -F= '
		{ v[$1] = $2 }
		END {
			wall = ended - started
			daemon_cpu = (after - before) / hz
			seconds = v["duration_us"] / 1e6
			printf "rate=%.0f\n", v["requests"] / seconds
			printf "daemon_cpu_percent=%.1f\n", 100 * daemon_cpu / wall
			printf "rate_per_daemon_cpu_second=%.0f\n", (daemon_cpu > 0 ? v["requests"] / daemon_cpu : 0)
			printf "wrk_cpu_percent=%.1f\n", 100 * wrk_cpu / wall
		}' "$out.raw" >>"$out"
	local key failed=0
	for key in errors_connect errors_read errors_write errors_status errors_timeout; do
		if [ "$(bench_value "$key" "$out")" != 0 ]; then
			echo "mint.sh: $key=$(bench_value "$key" "$out")" >&2
			failed=1
		fi
	done
	[ "$(bench_value requests "$out")" -gt 0 ] || {
		echo "mint.sh: no request completed" >&2
		failed=1
	}
	if [ $failed = 1 ]; then
		cat "$out.wrk" >&2
		tail -n 20 "$workdir/daemon.log" >&2
		die "the run was not clean: every response must be a 200"
	fi
}

echo "== mint: wrk, $threads threads, $connections keep-alive connections, ${duration}s per run, $runs runs"
files=()
for i in $(seq "$runs"); do
	out=$workdir/mint.$i
	mint_run "$out"
	printf '   run %d: %s requests/s, daemon CPU %s%% (%s requests per CPU-second), wrk CPU %s%%, p99 %s µs\n' \
		"$i" "$(bench_value rate "$out")" "$(bench_value daemon_cpu_percent "$out")" \
		"$(bench_value rate_per_daemon_cpu_second "$out")" "$(bench_value wrk_cpu_percent "$out")" \
		"$(bench_value latency_p99_us "$out")"
	files+=("$out")
done

requests=$(for file in "${files[@]}"; do bench_value requests "$file"; done | awk '{ s += $1 } END { print s }')
bench_stop_daemon
# Every credential is audited, in batches; the last batch is written at shutdown.
audited=n/a
if command -v sqlite3 >/dev/null; then
	audited=$(sqlite3 "$workdir/icegate.db" 'SELECT count(*) FROM ig_turn_credentials;' 2>/dev/null ||
		echo n/a)
fi

echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'). Credential minting: wrk, $threads threads, $connections keep-alive" \
	"connections, ${duration} s per run, one daemon; $runs runs; $requests requests answered 200," \
	"$audited audit records written."
echo
echo "| Figure | Median | Min | Max | Target |"
echo "|---|---|---|---|---|"
bench_row "GET /api/v1/ice-servers requests/s" "$(bench_figure rate "${files[@]}")" "≥ 50,000 on one core"
bench_row "Daemon CPU, % of one core" "$(bench_figure daemon_cpu_percent "${files[@]}")"
bench_row "Requests per daemon CPU-second" "$(bench_figure rate_per_daemon_cpu_second "${files[@]}")" "≥ 50,000"
bench_row "wrk CPU, % of one core" "$(bench_figure wrk_cpu_percent "${files[@]}")"
bench_row "Latency p50, µs" "$(bench_figure latency_p50_us "${files[@]}")"
bench_row "Latency p99, µs" "$(bench_figure latency_p99_us "${files[@]}")"
[ $smoke = 0 ] || echo "smoke: ok"
