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
# The patched coturn, into $build_dir/turn (a no-op when unchanged).
cmake --build "$build_dir" --target turn
