#!/usr/bin/env bash
# Installs what is missing, builds icegate twice (release with -Werror, and
# AddressSanitizer + UndefinedBehaviorSanitizer) and the patched coturn, and
# runs every test: formatting, the cmocka unit tests, a short libFuzzer run of
# every fuzz target, the icegatectl tests, the integration tests and the
# hostile input catalogue against the real daemon (both builds), the patched
# coturn against its database (and Debian's stock coturn beside it), the
# deployment (docker-compose.yml, the images' contents, the entrypoints run on
# this host, the systemd units), the browser end-to-end tests in headless
# Chromium, a short soak, and a smoke run of the benchmark harness. Every
# suite that starts the sanitizer build fails on a sanitizer or leak report.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

scripts/install-deps.sh --test || exit 1

passed=0
failed=0
failures=()
step() {
	local name=$1
	shift
	echo
	echo "=== $name"
	local started=$SECONDS
	if "$@"; then
		passed=$((passed + 1))
		echo "=== $name: passed ($((SECONDS - started)) s)"
	else
		failed=$((failed + 1))
		failures+=("$name")
		echo "=== $name: FAILED ($((SECONDS - started)) s)"
	fi
}

c_sources() {
	git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]' -not -path './build*'
}
check_format() {
	c_sources | xargs clang-format --dry-run --Werror
}

node_tests() {
	local dir=$1
	shift
	(cd tests && env "$@" node --test --test-concurrency=1 --test-reporter=spec "$dir"/)
}

step "clang-format" check_format
step "build (release, -Werror)" scripts/build.sh build
step "build (ASan + UBSan)" env ICEGATE_SKIP_TURN=1 scripts/build.sh build-asan -DICEGATE_SANITIZE=ON

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:halt_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1

step "unit tests (release)" ctest --test-dir build --output-on-failure
step "unit tests (ASan + UBSan)" ctest --test-dir build-asan --output-on-failure
step "fuzzing (libFuzzer smoke run, 6 s per target)" scripts/fuzz.sh --smoke
step "icegatectl tests" node_tests cli \
	ICEGATE_BIN="$PWD/build-asan/icegate" ICEGATE_CTL="$PWD/build-asan/icegatectl"
step "integration tests (ASan + UBSan)" node_tests integration \
	ICEGATE_BIN="$PWD/build-asan/icegate" ICEGATE_CTL="$PWD/build-asan/icegatectl"
step "integration tests (release)" node_tests integration \
	ICEGATE_BIN="$PWD/build/icegate" ICEGATE_CTL="$PWD/build/icegatectl"
step "hostile inputs (ASan + UBSan)" node_tests hostile \
	ICEGATE_BIN="$PWD/build-asan/icegate" ICEGATE_CTL="$PWD/build-asan/icegatectl" \
	ICEGATE_TURN_BUILD="$PWD/build/turn"
step "hostile inputs (release)" node_tests hostile \
	ICEGATE_BIN="$PWD/build/icegate" ICEGATE_CTL="$PWD/build/icegatectl" \
	ICEGATE_TURN_BUILD="$PWD/build/turn"
step "patched coturn against its database (daemon: ASan + UBSan)" node_tests turn \
	ICEGATE_TURN_BUILD="$PWD/build/turn" ICEGATE_BIN="$PWD/build-asan/icegate" \
	ICEGATE_CTL="$PWD/build-asan/icegatectl"
step "deployment: docker compose, images, entrypoints, systemd units" node_tests deploy \
	ICEGATE_BUILD_DIR="$PWD/build" ICEGATE_TURN_BUILD="$PWD/build/turn"
step "browser end-to-end (daemon: ASan + UBSan)" node_tests e2e \
	ICEGATE_BIN="$PWD/build-asan/icegate" ICEGATE_CTL="$PWD/build-asan/icegatectl"
step "soak: 30 s of churn, memory back within 10 % (release)" node_tests soak \
	ICEGATE_BIN="$PWD/build/icegate" ICEGATE_CTL="$PWD/build/icegatectl"
step "benchmark smoke run" bench/run.sh --smoke
step "benchmark smoke run: credential minting (wrk)" bench/mint.sh --smoke
step "benchmark smoke run: join storm" bench/storm.sh --smoke

echo
if [ "$failed" -gt 0 ]; then
	printf 'failed: %s\n' "${failures[@]}"
fi
echo "test suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
