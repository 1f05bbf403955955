#!/usr/bin/env bash
# CPU an open cockpit uses while nobody types: the demo running, then the
# demo paused (P). Starts the release binary in a detached tmux session at
# 200x50 on a fresh data directory, waits for it to settle, reads the
# process's CPU ticks from /proc over SECS seconds, and prints the share of
# one core, with the per-thread split.
#
#   bash bench/idle_cpu.sh [SECS]      (default 30; builds the release binary)
set -euo pipefail
SECS=${1:-30}
cd "$(dirname "$0")/.."
cargo build --release --locked -q
BIN=$PWD/target/release/omni-tui
command -v tmux >/dev/null || { echo "tmux is needed" >&2; exit 1; }
TCK=$(getconf CLK_TCK)
SOCK=omni-idle-$$
HOMEDIR=$(mktemp -d)
trap 'tmux -L $SOCK kill-server 2>/dev/null || true; rm -rf "$HOMEDIR"' EXIT

ticks() { awk '{print $14 + $15}' "$1"; }

measure() {
    local label=$1 keys=$2
    tmux -L $SOCK kill-server 2>/dev/null || true
    rm -rf "$HOMEDIR"/*
    tmux -L $SOCK new-session -d -x 200 -y 50 \
        "HOME=$HOMEDIR XDG_DATA_HOME=$HOMEDIR XDG_CONFIG_HOME=$HOMEDIR $BIN"
    sleep 6
    if [ -n "$keys" ]; then tmux -L $SOCK send-keys "$keys"; fi
    # Past the few seconds of full-rate refresh a key press brings.
    sleep 7
    local pid
    pid=$(pgrep -f "^$BIN\$" | head -1)
    declare -A before
    for t in /proc/"$pid"/task/*; do before[$(basename "$t")]=$(ticks "$t/stat"); done
    local p0 t0
    p0=$(ticks /proc/"$pid"/stat)
    t0=$(date +%s.%N)
    sleep "$SECS"
    local p1 t1
    p1=$(ticks /proc/"$pid"/stat)
    t1=$(date +%s.%N)
    local split=""
    for t in /proc/"$pid"/task/*; do
        local id
        id=$(basename "$t")
        split="$split $(cat "$t/comm")=$(( $(ticks "$t/stat") - ${before[$id]:-0} ))"
    done
    python3 - "$label" "$p0" "$p1" "$t0" "$t1" "$TCK" "$split" <<'PY'
import sys
label, p0, p1, t0, t1, tck, split = sys.argv[1:]
used = (int(p1) - int(p0)) / int(tck)
print(f"idle cpu, {label:<14} {100 * used / (float(t1) - float(t0)):.2f} % of a core"
      f"  ({int(p1) - int(p0)} ticks in {float(t1) - float(t0):.0f} s; by thread:{split})")
PY
    tmux -L $SOCK kill-server 2>/dev/null || true
}

measure "demo running" ""
measure "demo paused" "P"
