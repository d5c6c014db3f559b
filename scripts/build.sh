#!/usr/bin/env bash
# Configures and builds Rookery into ./build (Release with debug info by default).
set -euo pipefail
cd "$(dirname "$0")/.."
build_type=${ROOKERY_BUILD_TYPE:-RelWithDebInfo}
cmake -S . -B build -DCMAKE_BUILD_TYPE="$build_type" >/dev/null
cmake --build build -j"$(nproc)"
