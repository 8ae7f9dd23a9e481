import glob
import json
import sys

for d in sys.argv[1:]:
    for f in glob.glob(d + "/gc-*.json"):
        j = json.load(open(f))
        th = j["threads"]
        if not th or not any("finguard-guard-batcher" in s[1] for s in th):
            continue
        # measured window: the last 10 s of samples where the batcher existed
        t_end = th[-1][0]
        a = next(s for s in th if s[0] >= t_end - 10.5)
        b = th[-1]
        span = b[0] - a[0]
        cpu = {k: round(b[1][k][0] - a[1].get(k, [0, 0])[0], 2) for k in b[1]}
        wait = {k: round(b[1][k][1] - a[1].get(k, [0, 0])[1], 2) for k in b[1]}
        st = [s for s in j["stalls"] if a[0] <= s[0] <= b[0]]
        long = [s for s in st if s[1] >= 10]
        gcs = [e for e in j["events"] if a[0] <= e[0] <= b[0]]
        g2 = [e for e in gcs if e[1] == 2]
        tot = sum(s[1] for s in long)
        print(d.split("/")[-1], f"span {span:.1f}s cpu {cpu} runq-wait {wait}")
        print(
            "   stalls>=10ms",
            len(long),
            "total ms",
            round(tot),
            "ran",
            round(sum(s[2] for s in long)),
            "queued",
            round(sum(s[3] for s in long)),
            "slept(GIL)",
            round(tot - sum(s[2] + s[3] for s in long)),
            "| stalls>=5",
            len(st),
            "| gc>=5ms or gen2",
            len(gcs),
            "gen2",
            len(g2),
            "gen2 ms",
            round(sum(e[2] for e in g2)),
            "max gc",
            max([e[2] for e in gcs], default=0),
        )
