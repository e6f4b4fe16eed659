#!/usr/bin/env python3
"""Per-stage latency of our daemon, from its /metrics (CONVOS_TRACE_LATENCY=1).

    stages.py scrape URL TOKEN OUT     save /metrics (bearer TOKEN) to OUT
    stages.py diff BEFORE AFTER        one JSON line: p50/p99 in ms per stage of what
                                       happened between the two scrapes, commits and
                                       messages stored

Stages (see src/metrics/latency.rs): time from reading the IRC line to the actor queuing
its append (actor), the commit acknowledged (commit), the frame in the hub (publish) and
written to a WebSocket (write). Quantiles are interpolated inside the histogram's buckets
(25 % wide), so they read within a bucket.
"""
import json
import re
import sys
import urllib.request

BUCKET = re.compile(r'^convos_latency_seconds_bucket\{([^}]*)\} (\d+)')
LABEL = re.compile(r'(\w+)="([^"]*)"')
SCALAR = re.compile(r'^(convos_store_commit_seconds_count|convos_messages_stored_total) (\d+)')


def parse(path):
    buckets, scalars = {}, {}
    with open(path) as f:
        for line in f:
            m = BUCKET.match(line)
            if m:
                labels = dict(LABEL.findall(m[1]))
                le = float("inf") if labels["le"] == "+Inf" else float(labels["le"])
                buckets.setdefault(labels["stage"], []).append((le, int(m[2])))
                continue
            m = SCALAR.match(line)
            if m:
                scalars[m[1]] = int(m[2])
    return buckets, scalars


def quantile(cum, q):
    """cum: [(le, cumulative count)] ascending; linear inside the bucket, in ms."""
    total = cum[-1][1] if cum else 0
    if total == 0:
        return None
    want = q * total
    lo, below = 0.0, 0
    for le, c in cum:
        if c >= want:
            if le == float("inf"):
                return lo * 1000
            frac = (want - below) / (c - below) if c > below else 1.0
            return (lo + (le - lo) * frac) * 1000
        lo, below = le, c
    return lo * 1000


def main():
    if sys.argv[1] == "scrape":
        url, token, out = sys.argv[2:5]
        req = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
        with urllib.request.urlopen(req, timeout=10) as r, open(out, "wb") as f:
            f.write(r.read())
        return
    (b0, s0), (b1, s1) = parse(sys.argv[2]), parse(sys.argv[3])
    out = {}
    for stage in ("actor", "commit", "publish", "write"):
        after = b1.get(stage, [])
        before = dict(b0.get(stage, []))
        cum = [(le, c - before.get(le, 0)) for le, c in after]
        n = cum[-1][1] if cum else 0
        p50, p99 = quantile(cum, 0.5), quantile(cum, 0.99)
        out[stage] = {"n": n, "p50_ms": p50 and round(p50, 3), "p99_ms": p99 and round(p99, 3)}
    commits = s1.get("convos_store_commit_seconds_count", 0) - s0.get("convos_store_commit_seconds_count", 0)
    stored = s1.get("convos_messages_stored_total", 0) - s0.get("convos_messages_stored_total", 0)
    out["commits"] = commits
    out["stored"] = stored
    parts = []
    for stage in ("actor", "commit", "publish", "write"):
        v = out[stage]
        if v["n"]:
            parts.append(f"{stage} {v['p50_ms']}/{v['p99_ms']}")
    per = f"{stored / commits:.1f}" if commits else "n/a"
    out["text"] = (", ".join(parts) or "no trace") + f" ms; {commits} commits, {per} msgs each"
    print(json.dumps(out))


if __name__ == "__main__":
    main()
