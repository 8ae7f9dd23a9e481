import sys
from pathlib import Path
sys.path.insert(0, "/work/wt/guardhttp/bench/guard")
import run as bench
bench.MODEL = Path("/nonexistent")
import profile_decide
sys.argv = ["profile_decide.py"] + sys.argv[1:]
profile_decide.main()
