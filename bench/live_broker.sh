#!/usr/bin/env bash
# The live order manager against the local Binance mock (127.0.0.1):
# submit → acknowledgement p50/p99, and the kill switch → venue-confirmed
# flat with 20 resting orders and 5 positions. Three runs, one after the
# other; not part of the test suite.
#   bash bench/live_broker.sh [--orders N] [--rounds N]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p omni-live --example live_bench
for run in 1 2 3; do
    echo "run $run"
    ./target/release/examples/live_bench "$@"
done
