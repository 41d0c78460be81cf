#!/usr/bin/env bash
# Builds the libFuzzer targets of tests/fuzz with clang (ASan + UBSan) into
# build-fuzz and runs each one for a while.
#   scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]   default 300 s, every target
#   scripts/fuzz.sh --smoke [TARGET...]                 6 s each: the test command's run
# TARGET is a name from tests/fuzz (fuzz_http_request, or just http_request).
# Each target starts from its seed corpus (tests/fuzz/corpus/TARGET) and adds
# what it finds to a work corpus in build-fuzz/corpus/TARGET, so the seeds in
# the repository stay small; a crash, a sanitizer report, a broken invariant,
# a hang or a leak is saved under build-fuzz/crashes/TARGET and fails the run.
# Logs go to build-fuzz/logs/TARGET.log. ICEGATE_BUILD_JOBS limits the build.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=300
smoke=0
if [ "${1:-}" = "--smoke" ]; then
	smoke=1
	seconds=6
	shift
elif [[ "${1:-}" =~ ^[0-9]+$ ]]; then
	seconds=$1
	shift
fi

build_dir=build-fuzz
fuzz_dir=tests/fuzz

if ! command -v clang >/dev/null; then
	echo "fuzz: clang is missing (Debian: apt-get install clang libclang-rt-14-dev)" >&2
	exit 1
fi

echo "fuzz: building the targets into $build_dir"
mkdir -p "$build_dir"
if ! CC=clang cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DICEGATE_FUZZ=ON \
	-DICEGATE_SANITIZE=ON -DICEGATE_TESTS=OFF -DICEGATE_BENCH=OFF >"$build_dir/configure.log" 2>&1; then
	cat "$build_dir/configure.log" >&2
	exit 1
fi
jobs=${ICEGATE_BUILD_JOBS:-$(nproc)}
cmake --build "$build_dir" --target fuzz -j"$jobs" >/dev/null || {
	cmake --build "$build_dir" --target fuzz -j1 2>&1 | grep -E 'error|Error' | head -20 >&2
	exit 1
}

# The dictionary of protocol words a target's mutations draw on, if any.
dictionary_for() {
	case $1 in
	fuzz_http_request | fuzz_http_ws_handshake | fuzz_http_query | fuzz_signaling_rest)
		echo "$fuzz_dir/dict/http.dict" ;;
	fuzz_signaling_message | fuzz_auth_token | fuzz_signaling_server)
		echo "$fuzz_dir/dict/json.dict" ;;
	fuzz_config_*)
		echo "$fuzz_dir/dict/config.dict" ;;
	esac
}

targets=()
if [ $# -eq 0 ]; then
	for source in "$fuzz_dir"/fuzz_*.c; do
		targets+=("$(basename "$source" .c)")
	done
else
	for name in "$@"; do
		targets+=("fuzz_${name#fuzz_}")
	done
fi

mkdir -p "$build_dir/logs"
failed=()
for target in "${targets[@]}"; do
	binary=$build_dir/fuzz/$target
	if [ ! -x "$binary" ]; then
		echo "fuzz: no target $target (see $fuzz_dir/README.md)" >&2
		failed+=("$target")
		continue
	fi
	work=$build_dir/corpus/$target
	crashes=$build_dir/crashes/$target
	log=$build_dir/logs/$target.log
	mkdir -p "$work" "$crashes"
	options=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
		-artifact_prefix="$crashes/")
	dictionary=$(dictionary_for "$target")
	[ -n "$dictionary" ] && options+=(-dict="$dictionary")

	started=$SECONDS
	# Scratch files (fuzz_signaling_server's database) stay in the build
	# directory even when a crash skips their cleanup.
	mkdir -p "$build_dir/tmp"
	TMPDIR=$PWD/$build_dir/tmp ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
		UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		"$binary" "${options[@]}" "$work" "$fuzz_dir/corpus/$target" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	coverage=$(grep -oE 'cov: [0-9]+' "$log" | tail -1)
	if [ "$status" -ne 0 ]; then
		failed+=("$target")
		reproducer=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
		echo "fuzz: $target FAILED after $((SECONDS - started)) s (exit $status); log: $log"
		grep -E 'ERROR: |invariant broken|SUMMARY' "$log" | head -5 | sed 's/^/    /'
		if [ -n "$reproducer" ]; then
			echo "    reproducer: $reproducer"
			echo "    replay with: $binary $reproducer"
		fi
	else
		echo "fuzz: $target ok: ${runs:-?} runs in $((SECONDS - started)) s, ${coverage:-cov: ?}"
	fi
done

if [ "${#failed[@]}" -gt 0 ]; then
	echo "fuzz: ${#failed[@]} of ${#targets[@]} targets failed: ${failed[*]}"
	exit 1
fi
echo "fuzz: all ${#targets[@]} targets ran $seconds s each without a finding"
[ "$smoke" = 1 ] && echo "fuzz: (smoke run; scripts/fuzz.sh SECONDS runs longer)"
exit 0
