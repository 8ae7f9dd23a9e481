"""Issue #19: two ``http_loop_cpu.py --responses`` dumps compared, answer by answer (bench only).

    python bench/guard/responses_diff.py base.json branch.json

Every status, header and body must be the same once what is random or the clock's is set aside:
the headers ``date``, ``x-request-id``, ``content-length`` (follows the body), and in the JSON body
every key ending in ``_id`` other than ``customer_id`` (decision and payee check ids; the bench mix's
event ids carry a random part each run), every key ending in ``_at`` and every ISO time text (the
clock's: a control's ``first_paid``). Prints one JSON line: answers, differing, the outcomes.
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from typing import Any

KEEP_IDS = {"customer_id"}
ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d")
DROP_HEADERS = {"date", "x-request-id", "content-length"}


def scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: ("*" if (k.endswith("_id") and k not in KEEP_IDS) or k.endswith("_at") else scrub(v)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [scrub(v) for v in value]
    if isinstance(value, str) and ISO_TIME.match(value):
        return "*"
    return value


def norm(answer: dict[str, Any]) -> Any:
    headers = sorted((str(k).lower(), v) for k, v in answer.get("headers", []) if str(k).lower() not in DROP_HEADERS)
    try:
        body: Any = scrub(json.loads(answer["body"]))
    except ValueError:
        body = answer["body"]
    return answer.get("status"), headers, body


def main() -> None:
    a, b = (json.load(open(p)) for p in sys.argv[1:3])
    differing = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if norm(x) != norm(y)]
    outcomes = Counter(json.loads(x["body"]).get("outcome", x.get("status")) for x in a if x["body"].startswith("{"))
    print(json.dumps({"answers": len(a), "differing": len(differing), "first": differing[:5], "outcomes": dict(outcomes)}))


if __name__ == "__main__":
    main()
