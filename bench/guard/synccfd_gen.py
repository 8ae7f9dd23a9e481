"""Generate the SynCCFD card-fraud simulation the guard's starter pack is measured on (#11).

    pip install --target /tmp/synccfd_env synccfd==0.1.0 geopandas pyogrio pyproj shapely geopy geographiclib haversine tqdm
    PYTHONPATH=/tmp/synccfd_env python bench/guard/synccfd_gen.py   # ~90 s of CPU; bench/work/data/synccfd-0.1.0-s42.csv.gz

SynCCFD 0.1.0 (PyPI ``synccfd``, MIT; wheel sha256 575076688aa487af5c84aeed559d4cf3f25fc130e1278ebd81c5310f654eed39)
is the card-transaction simulator of Le Borgne et al.'s "Reproducible Machine Learning for Credit
Card Fraud Detection" handbook, extended (SBSeg 2024) with card-present / card-not-present
transactions, Brazilian municipalities for places, and a lost-or-stolen-card scenario. It is a
generator, not a recorded data set: the set is what it makes with the parameters below (seed 42).
Its fraud is written by four rules, which a reader of any figure on it must keep in mind:

1. any transaction above 220 is fraud;
2. each day two terminals are compromised: every transaction there in the next 28 days is fraud;
3. each day three customers' card numbers are stolen: a third of their transactions in the next
   14 days become card-not-present, five times the amount, shipped elsewhere;
4. each day three customers' cards are stolen: their transactions of the next 5 days move to the
   first day, half card-not-present, five times the amount, at places away from home.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "work" / "data" / "synccfd-0.1.0-s42.csv.gz"
PARAMS = {"n_customers": 2000, "n_terminals": 4000, "nb_days": 120, "start_date": "2018-04-01", "random_state": 42}


def main() -> None:
    from synccfd import DatasetGenerator  # type: ignore[import-not-found]

    t = time.process_time()
    _, _, tx = DatasetGenerator(**PARAMS).generate()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    tx.to_csv(OUT, index=False)
    scenarios = tx.groupby("TX_FRAUD_SCENARIO").size().to_dict()
    cpu = time.process_time() - t
    print(f"{len(tx)} transactions, {int(tx.TX_FRAUD.sum())} fraud {scenarios}; {cpu:.0f} s CPU -> {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
