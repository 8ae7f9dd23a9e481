#!/usr/bin/env bash
# latency_ab.py A/B, alternating which tree runs first each round (issue #16, dev split only).
#
#   bench/screening/latency_ab_alternate.sh BASE_TREE LABEL /abs/OUT.jsonl [ROUNDS [--arabic]]  (ROUNDS before --arabic)
#
# Runs this tree (B, label LABEL) and BASE_TREE (A, label base) ROUNDS times (default 2), B first in odd rounds, A
# first in even ones, each run `latency_ab.py --rounds 2` (its best round is the figure) with the load (`uptime`)
# in the JSON line. Both trees' compiled builds must be current (python -m finguard.compile status).
set -euo pipefail
base=$1 label=$2 out=$3 rounds=${4:-2}
shift $(( $# < 4 ? $# : 4 ))
here=$(cd "$(dirname "$0")/../.." && pwd)
script=$here/bench/screening/latency_ab.py
py=${PYTHON:-/work/main/.venv/bin/python}
extra=${SCREEN_EXTRA:-/tmp/screen_extra}
for r in $(seq 1 "$rounds"); do
  if (( r % 2 )); then order="B A"; else order="A B"; fi
  for side in $order; do
    if [ "$side" = B ]; then tree=$here lab=$label; else tree=$base lab=base-$label; fi
    (cd "$tree" && PYTHONHASHSEED=0 PYTHONPATH=src:$extra nice -n 19 "$py" "$script" --label "$lab r$r" --rounds 2 --out "$out" "$@") | tail -1 >/dev/null
    tail -1 "$out" | "$py" -c 'import json,sys; d=json.loads(sys.stdin.read()); b=min(d["rounds"], key=lambda x: x["cpu_p99_ms"]); print(d["label"], "p50 %.2f p99 %.2f mean %.3f ms" % (b["cpu_p50_ms"], b["cpu_p99_ms"], b["cpu_mean_ms"]), "load %.2f %.2f %.2f" % tuple(d["load"]))'
  done
done
