#!/usr/bin/env bash
# `make coverage`: the whole suite (nextest) under source-based coverage
# (cargo llvm-cov), an lcov report at target/llvm-cov/lcov.info for upload,
# and the floors of scripts/coverage-floors.py enforced on it.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component list --installed 2>/dev/null | grep -q '^llvm-tools' || rustup component add llvm-tools
cargo llvm-cov --version >/dev/null 2>&1 || cargo install --locked cargo-llvm-cov
# shellcheck source=/dev/null
source .data/env
mkdir -p target/llvm-cov
runner=test
cargo nextest --version >/dev/null 2>&1 && runner=nextest
cargo llvm-cov "$runner" --workspace --no-fail-fast --lcov --output-path target/llvm-cov/lcov.info
# The floors must bite: a report with the domain at 80 % has to fail.
printf 'SF:crates/domain/src/x.rs\nLF:100\nLH:80\nend_of_record\n' >target/llvm-cov/below-floor.info
if python3 scripts/coverage-floors.py target/llvm-cov/below-floor.info >/dev/null 2>&1; then
    echo "coverage: the floor check passed a report below its floor" >&2
    exit 1
fi
python3 scripts/coverage-floors.py target/llvm-cov/lcov.info
