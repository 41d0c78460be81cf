#!/usr/bin/env bash
# Builds icegate and the patched coturn into a build directory.
#   scripts/build.sh [BUILD_DIR] [extra cmake options...]
# BUILD_DIR defaults to build. -DICEGATE_SANITIZE=ON gives the ASan+UBSan build.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir=${1:-build}
shift || true
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
# The patched coturn, into $build_dir/turn (a no-op when unchanged). A
# second build directory of icegate (the sanitizer one) can skip it with
# ICEGATE_SKIP_TURN=1: coturn is not built with icegate's options.
if [ "${ICEGATE_SKIP_TURN:-0}" != 1 ]; then
	cmake --build "$build_dir" --target turn
fi
