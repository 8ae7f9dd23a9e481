"""Issue #19: realistic payees for the guard benches (their accounts and names, as a bank sees them).

The guard bench's events used to pay one of 5,000 accounts whose names were one of four ("Zhang
San", "Li Si", "Wang Wu", "Zhao Liu"): the payee's name screening, half of a batched decision,
would then be answered from a cache almost always. Here:

* **the pool**: ``size`` payees (default 100,000), each an account ``6228`` + 12 digits and a name
  made by Faker (``faker>=30``, the bench extra) with a fixed seed: 70 % Chinese persons (zh_CN,
  Han characters), 10 % Chinese companies (zh_CN, a city and a company), 20 % English persons (en_US, "First Last").
  **Every payee's name is distinct**: Faker's zh_CN has only 131 given names (with its 399 family
  names, about 36,000 distinct names in 100,000 draws), far fewer than people have, and repeated
  names would be answered from the name cache for free. A Chinese person is Faker's weighted
  family name and a given name of one or two characters drawn from those of Faker's given names
  (about 9 million combinations); a drawn name already in the pool is drawn again. Real names
  do recur (many people are called 张伟), so this is the cache's worst case for names.
  Made once per (size, seed) and kept in ``bench/work/payee-pool-<size>-s<seed>.tsv``.
* **the stream**: each customer remembers whom they paid. A transfer goes, with probability
  ``repeat`` (default 0.75: most transfers go to payees paid before), to one of the customer's
  earlier payees, picked in proportion to how often they were paid (the regulars), else to a
  payee drawn from the pool by popularity, Zipf with exponent ``skew`` (default 0.8) over a fixed
  random ranking of the pool (a few payees, like utilities and platforms, are paid by many).
  Customers start with no history: a short bench sees fewer repeats than a bank in steady state.

These proportions are assumptions, not measurements of any bank's traffic: they are parameters
(``--payee-repeat``, ``--payee-skew``, ``--payee-pool``), and every figure made with them reports
the name cache's hit rate beside it. ``python bench/guard/payees.py`` prints the stream's share of
names seen before and the hit rate of a bounded LRU of names over a bank-sized stream (many more
customers than the bench's 500), which is what a serving process would see.
"""

from __future__ import annotations

import argparse
import bisect
import json
import random
import sys
from collections import OrderedDict
from itertools import accumulate
from pathlib import Path

WORK = Path(__file__).resolve().parents[1] / "work"
SHARES = (("zh_person", 0.70), ("zh_company", 0.10), ("en_person", 0.20))


def make_pool(size: int = 100_000, seed: int = 19) -> list[tuple[str, str]]:
    """``size`` payees (account, name), the same for the same size and seed (kept in bench/work/)."""
    path = WORK / f"payee-pool-{size}-s{seed}.tsv"
    if path.is_file():
        rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()]
        return [(a, n) for a, n in rows]
    try:
        from faker import Faker
    except ImportError:  # pragma: no cover - a bench-only dependency
        sys.exit("the realistic payees need Faker: pip install 'faker>=30' (the bench extra), or --payees fixed")
    from faker.providers.person.zh_CN import Provider as ZhPerson

    zh, en = Faker("zh_CN"), Faker("en_US")
    zh.seed_instance(seed)
    en.seed_instance(seed + 1)
    rng = random.Random(seed)
    given_chars = sorted({ch for given in ZhPerson.first_names for ch in given})
    kinds = [k for k, _ in SHARES]
    weights = [w for _, w in SHARES]
    accounts = rng.sample(range(10**11, 10**12), size)
    pool: list[tuple[str, str]] = []
    names: set[str] = set()
    for account in accounts:
        kind = rng.choices(kinds, weights)[0]
        for attempt in range(1000):
            if kind == "zh_person":
                name = zh.last_name() + "".join(rng.choices(given_chars, k=rng.choice((1, 2, 2, 2))))
            elif kind == "zh_company":
                # Faker's zh_CN has ~330 company names; with a city ~23,000; past that, a second trade name
                name = zh.city_name() + (zh.company_prefix() if attempt >= 20 else "") + zh.company()
            else:
                name = f"{en.first_name()} {en.last_name()}"
            if name not in names:
                break
        else:
            sys.exit(f"fewer than {size:,} distinct names: make a smaller pool (--payee-pool)")
        names.add(name)
        pool.append((f"6228{account:012d}", name))
    WORK.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(f"{a}\t{n}\n" for a, n in pool), encoding="utf-8")
    return pool


class PayeeStream:
    """Payees of successive transfers, per customer (see the module docstring). Seeded."""

    def __init__(self, pool: list[tuple[str, str]], *, repeat: float = 0.75, skew: float = 0.8, seed: int = 19) -> None:
        self.pool = pool
        self.repeat = repeat
        self.rng = random.Random(seed)
        order = list(range(len(pool)))
        random.Random(seed + 2).shuffle(order)  # popularity rank -> pool index, unrelated to the names
        self._by_rank = order
        self._cum = list(accumulate(1.0 / (r + 1) ** skew for r in range(len(pool))))
        self._history: dict[str, list[int]] = {}
        self.repeats = 0
        self.transfers = 0
        self._names_seen: set[str] = set()
        self.names_seen_before = 0

    def _popular(self) -> int:
        return self._by_rank[bisect.bisect_left(self._cum, self.rng.random() * self._cum[-1])]

    def next(self, customer: str) -> dict[str, str]:
        history = self._history.setdefault(customer, [])
        if history and self.rng.random() < self.repeat:
            idx = self.rng.choice(history)  # a payee paid twice is twice as likely: the regulars
            self.repeats += 1
        else:
            idx = self._popular()
        history.append(idx)
        self.transfers += 1
        account, name = self.pool[idx]
        if name in self._names_seen:
            self.names_seen_before += 1
        else:
            self._names_seen.add(name)
        return {"account": account, "name": name}

    def stats(self) -> dict[str, float | int]:
        n = max(self.transfers, 1)
        return {
            "transfers": self.transfers,
            "to_an_earlier_payee": round(self.repeats / n, 4),
            "name_seen_before_in_stream": round(self.names_seen_before / n, 4),
            "distinct_names": len(self._names_seen),
        }


def lru_hit_rate(names: list[str], capacity: int) -> float:
    """The share of ``names`` a least-recently-used cache of ``capacity`` names would answer."""
    cache: OrderedDict[str, None] = OrderedDict()
    hits = 0
    for name in names:
        if name in cache:
            cache.move_to_end(name)
            hits += 1
        else:
            cache[name] = None
            if len(cache) > capacity:
                cache.popitem(last=False)
    return hits / max(len(names), 1)


def main() -> None:
    ap = argparse.ArgumentParser(description="the payee stream's repeats and a name LRU's hit rate at bank scale")
    ap.add_argument("--pool", type=int, default=100_000)
    ap.add_argument("--repeat", type=float, default=0.75)
    ap.add_argument("--skew", type=float, default=0.8)
    ap.add_argument("--customers", type=int, default=200_000, help="active customers in the window")
    ap.add_argument("--transfers", type=int, default=1_000_000)
    ap.add_argument("--capacity", type=int, nargs="*", default=[4096, 65_536])
    args = ap.parse_args()
    pool = make_pool(args.pool)
    stream = PayeeStream(pool, repeat=args.repeat, skew=args.skew)
    rng = random.Random(7)
    names = [stream.next(f"c{rng.randrange(args.customers)}")["name"] for _ in range(args.transfers)]
    out = {
        "pool": args.pool,
        "distinct_names_in_pool": len({n for _, n in pool}),
        "repeat": args.repeat,
        "skew": args.skew,
        "customers": args.customers,
        **stream.stats(),
        "lru_hit_rate": {str(c): round(lru_hit_rate(names, c), 4) for c in args.capacity},
    }
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
