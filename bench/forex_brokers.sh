#!/usr/bin/env bash
# The live order manager against the local OANDA and TradeLocker mocks
# (127.0.0.1): submit → fill p50/p99, and the kill switch → broker-confirmed
# flat with 20 resting orders and 5 positions (3 on TradeLocker, all its
# mock knows). Three runs, one after the other; not part of the test suite.
#   bash bench/forex_brokers.sh [--orders N] [--rounds N] [--poll-ms MS] [--refresh-ms MS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet -p omni-live --example forex_bench
for run in 1 2 3; do
    echo "run $run"
    ./target/release/examples/forex_bench "$@"
done
