#!/usr/bin/env bash
# README's ensemble figures: each model on the held-back test split of its
# own training series (the ensemble on the medium model's), then every model
# on four files no model ever saw. Needs ../shared/data beside the checkout.
#   bash bench/eval_tables.sh [MODELS_DIR]     (default: the bundled models)
# The unseen-files run also writes MODELS_DIR/measured.json (default
# assets/models/measured.json): the skill the cockpit shows beside each model.
set -euo pipefail
cd "$(dirname "$0")/.."
D=${OMNI_DATA:-../shared/data}
models=()
[ -n "${1:-}" ] && models=(--models "$1")
cargo build --release --quiet
bin=target/release/omni-tui
crypto=()
for m in 2023-01 2024-10 2025-01 2025-03; do
    for c in BTCUSDT ETHUSDT; do crypto+=(--data "$D/binance_spot/$m/${c}_1m.csv"); done
done
run() { echo "== $1"; shift; "$bin" eval "${models[@]}" --split test "$@"; echo; }
run "short, held-back test" "${crypto[@]}" --data "$D/fx/eurusd_2022/EURUSD_M1.csv@-03:30" --data "$D/fx/xauusd_2025/XAUUSD_M1.csv@+03:00"
run "medium and ensemble, held-back test" "${crypto[@]}" --data "$D/fx/eurusd_2022/EURUSD_M5.csv@-03:30" --data "$D/fx/xauusd_2025/XAUUSD_M5.csv@+03:00"
run "long, held-back test" "${crypto[@]}" --data "$D/fx/eurusd_2022/EURUSD_M5.csv@-03:30" --data "$D/fx/long_history/XAUUSD_H1.csv@+03:00"
echo "== unseen files"
"$bin" eval "${models[@]}" --split all --measured "${1:-assets/models}/measured.json" --data "$D/binance_vision_btcusdt_1m" \
    --data "$D/cross_venue/kraken_2023Q1/BTCUSDC_1m_2023Q1.csv" \
    --data "$D/cross_venue/binanceus_2023-03/BTCUSDT_1m_20230301_20230321.csv" \
    --data "$D/fx/xauusd_2026_m1/XAUUSD_M1.csv"
