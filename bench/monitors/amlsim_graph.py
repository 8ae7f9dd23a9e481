"""Does AMLSim's static account graph tell the labelled accounts that never made an unusual
transfer apart? For every account, the length of the shortest directed cycle through it (who
paid whom, times and amounts aside), counted for all accounts, the labelled ones, and the
labelled ones with no unusual transfer. About 90 s on 2 cores.

    .venv/bin/python bench/monitors/amlsim_graph.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import shortest_path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from data import load_amlsim  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from finguard.monitors.service.index import Transfers, unusual_rows  # noqa: E402


def main() -> None:
    data = load_amlsim()
    t = Transfers.from_columns(data.cols)
    n = len(data.fraud)
    rows = unusual_rows(t, 1.01, 1)
    touched = np.zeros(n, dtype=bool)
    touched[t.src[rows]] = True
    touched[t.dst[rows]] = True
    a = sp.csr_matrix((np.ones(len(t)), (t.src, t.dst)), shape=(n, n))
    a.data[:] = 1
    incoming = a.T.tocsr()
    girth = np.full(n, np.inf)
    for start in range(0, n, 2000):
        idx = np.arange(start, min(n, start + 2000))
        dist = shortest_path(a, method="D", unweighted=True, indices=idx)
        for k, v in enumerate(idx):
            w = incoming.indices[incoming.indptr[v] : incoming.indptr[v + 1]]
            if len(w):
                girth[v] = dist[k, w].min() + 1
    hidden = data.fraud & ~touched
    table = Table(title="AMLSim 20K: accounts on a directed cycle of length <= L (static graph)")
    for c in ("L", "accounts", "labelled", "share labelled", "labelled without an unusual transfer"):
        table.add_column(c)
    out = []
    for length in range(2, 9):
        on = girth <= length
        row = {
            "max_length": length,
            "accounts": int(on.sum()),
            "labelled": int((on & data.fraud).sum()),
            "labelled_without_unusual_transfer": int((on & hidden).sum()),
        }
        out.append(row)
        share = row["labelled"] / max(row["accounts"], 1)
        hid = f"{row['labelled_without_unusual_transfer']} of {int(hidden.sum())}"
        table.add_row(str(length), str(row["accounts"]), str(row["labelled"]), f"{share:.2f}", hid)
    Console().print(table)
    (HERE.parent / "results" / "issue5_amlsim_graph.json").write_text(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
