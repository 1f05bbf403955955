#!/usr/bin/env bash
# The context features (other venues' lead, taker flow) against the bar
# features alone: the same data, the same split, trained here into a
# temporary directory and scored by `omni-tui eval` (the short model's row
# and its 95 % day-block intervals). Needs ../shared/data beside the checkout.
#   bash bench/cross_venue_eval.sh
set -euo pipefail
cd "$(dirname "$0")/.."
D=${OMNI_DATA:-../shared/data}
cargo build --release --quiet
bin=target/release/omni-tui
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
V=$D/binance_vision_btcusdt_1m
U=$D/cross_venue/binanceus_2023-03/BTCUSDT_1m_20230301_20230321.csv
UD=$D/cross_venue/binanceus_2023-03/BTCUSD_1m_20230301_20230321.csv
K=$D/cross_venue/kraken_2023Q1/BTCUSDC_1m_2023Q1.csv
# Kraken's file runs Jan..Mar: its March 1-21 part, the weeks the others cover.
KM=$tmp/kraken_2023-03-01_21.csv
awk -F, '$1 >= 1677628800 && $1 < 1679443200' "$K" >"$KM"
binance="$V,$U,$UD,$K"      # Binance primary, three other venues
kraken="$KM,$V,$U,$UD"      # Kraken primary (a lagging venue)
train() { # DIR FEATURES DATA...
    local dir=$tmp/$1 features=$2
    shift 2
    local args=()
    for d in "$@"; do args+=(--data "$d"); done
    "$bin" train --model short --out "$dir" --features "$features" "${args[@]}" 2>&1 | grep 'train:'
}
score() { # LABEL DIR SPLIT DATA
    echo "-- $1"
    "$bin" eval --models "$2" --split "$3" --data "$4" 2>/dev/null |
        grep -E '^short |^short: |95 %|decisiveness decile' | grep -v ensemble | head -3
}
for f in bar bar,cross_venue bar,order_flow bar,cross_venue,order_flow; do
    train "b_${f//,/_}" "$f" "$binance"
done
echo "== Binance primary: test split of 2023-03-01..21 (last 20 %)"
for f in bar bar,cross_venue bar,order_flow bar,cross_venue,order_flow; do
    score "$f" "$tmp/b_${f//,/_}" test "$binance"
done
echo "== the same models on 2023-01 (never trained on): Binance + Kraken, no taker split"
jan="$D/binance_spot/2023-01/BTCUSDT_1m.csv,$K"
for f in bar bar,cross_venue; do score "$f" "$tmp/b_${f//,/_}" all "$jan"; done
echo "== Kraken primary: test split of 2023-03-01..21"
for f in bar bar,cross_venue; do train "k_${f//,/_}" "$f" "$kraken"; done
for f in bar bar,cross_venue; do score "$f" "$tmp/k_${f//,/_}" test "$kraken"; done
