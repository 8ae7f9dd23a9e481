"""``bench/guard/profile_decide.py`` with no model on the harness's guard (as ``http_ab.py``'s server has none):
``PYTHONPATH=<checkout>/src:/tmp/faker_env python pd_nomodel_wrapper.py --cpu --events 1500 --warmup 500 --batch 16``."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "guard"))
import profile_decide
import run as bench

bench.MODEL = Path("/nonexistent")
sys.argv = ["profile_decide.py", *sys.argv[1:]]
profile_decide.main()
