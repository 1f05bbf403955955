#!/usr/bin/env bash
# The triangular scanner's cost per quote update, 50 pairs on one venue
# (crates/core/examples/triangular_bench.rs). Three runs, one after the
# other; not part of the test suite.
#   bash bench/triangular.sh [--updates N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p omni-core --example triangular_bench
for run in 1 2 3; do
    echo "run $run"
    ./target/release/examples/triangular_bench "$@"
done
