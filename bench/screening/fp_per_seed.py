"""Issue #16, dev split only: per-seed false positives after a change that only lowers scores, from fp_ab.py's output.

    BASE=main PC=1 PYTHONHASHSEED=0 PYTHONPATH=src python bench/screening/fp_ab.py wide_2216.txt wide_2240.txt > ab.txt
    python bench/screening/fp_per_seed.py ab.txt wide_2216.txt wide_2240.txt

``wide_*.txt``: base ``devwide.py NN=50000 POS=0 NEGSEED=s`` outputs. For each, the base FP count (its ``FP`` lines,
a negative drawn twice counted twice, as devwide.py counts), the branch count (those negatives still with a fuzzy hit in
``fp_ab.py``'s new matcher) and the negatives removed. Exact only when the branch never raises a score (no new hit is
possible on a negative base left without one): say so when reporting. Namesake lines must stay namesakes (asserted).
"""

import ast
import re
import sys

ab, seeds = sys.argv[1], sys.argv[2:]
new = {}
for line in open(ab, encoding="utf-8"):
    if line.startswith("N "):
        tag, rest = line[2:4], line[5:]
        q_txt, outs = rest.split(" | ", 1)
        q = ast.literal_eval(q_txt)
        b, n = outs.rstrip("\n").split(" -> ")
        new[q] = (b, n)
for path in seeds:
    fp_b = fp_n = ns = 0
    removed = []
    n_line = next(x for x in open(path, encoding="utf-8") if x.startswith("FPR"))
    for line in open(path, encoding="utf-8"):
        if not line.startswith(("FP ", "NS ")) or " -> " not in line:
            continue
        q = ast.literal_eval(line.split(": ", 1)[1].split(" -> ")[0])
        b, n = new[q]
        if line.startswith("FP "):
            fp_b += 1
            is_fp = n != "-" and not n.endswith(" NS")
            fp_n += is_fp
            if not is_fp:
                removed.append(f"{q} / {b.rsplit(' ', 1)[0]}")
        else:
            ns += 1
            assert n.endswith(" NS"), (q, b, n)
    total = int(re.search(r"n=(\d+)", n_line).group(1))
    print(f"{path}: n={total} FP {fp_b} ({fp_b / total:.4%}) -> {fp_n} ({fp_n / total:.4%}); NS {ns} unchanged; removed {len(removed)}:")
    for r in removed:
        print("   ", r)
