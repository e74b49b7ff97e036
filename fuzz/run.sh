#!/usr/bin/env bash
# Fuzzes redraft's parsers with libFuzzer through cargo-fuzz, on the stable toolchain
# (RUSTC_BOOTSTRAP lets stable accept the sanitizer flags cargo-fuzz passes).
# Usage: fuzz/run.sh [target] [seconds]     targets: request, rdb
set -euo pipefail
cd "$(dirname "$0")"
command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz
RUSTC_BOOTSTRAP=1 cargo fuzz run "${1:-request}" -- -max_total_time="${2:-60}"
