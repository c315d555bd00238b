"""Summarize a bench_java_vs_peer.sh folder: per run images/s (from the exact seconds of each side's timed action),
load averages, foreign CPU where sampled, and the java/peer ratio of the medians per batch size.

  summarize.py [BENCH_DIR]     (default $PEER_HOME/bench, PEER_HOME=/tmp/diffusers4j-peer)

Foreign CPU (cores used by processes outside the benchmark) is read from BENCH_DIR/cpu.tsv when a sampler wrote it
(lines: unix time TAB ... TAB foreign=CORES); without it the column says n/a. Peak RSS per Python worker is read
from the peer's log."""
import os
import re
import statistics as st
import sys
import time

B = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.environ.get("PEER_HOME", "/tmp/diffusers4j-peer"), "bench")
rows = [line.rstrip("\n").split("\t") for line in open(os.path.join(B, "results.tsv"))][1:]
ends = {}
if os.path.exists(os.path.join(B, "driver.log")):
    for line in open(os.path.join(B, "driver.log")):
        m = re.match(r"(\d\d):(\d\d):(\d\d) (\S+) .* wall ([0-9.]+)s", line)
        if m:
            ends[m.group(4)] = (int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3)), float(m.group(5)))
cpu = []
if os.path.exists(os.path.join(B, "cpu.tsv")):
    for line in open(os.path.join(B, "cpu.tsv")):
        f = line.split("\t")
        t = time.localtime(float(f[0]))
        cpu.append((t.tm_hour * 3600 + t.tm_min * 60 + t.tm_sec, float(f[2].split("=")[1])))
res = {}
for r in rows:
    tag, side, b = r[0], r[1], r[2]
    log = open(os.path.join(B, tag + ".log")).read()
    if side == "java":
        m = re.search(r"ok images: (\d+).*?\n\s+[0-9.]+ images/s \(([0-9.]+) s generate\+write", log, re.S)
    else:
        m = re.search(r"images: (\d+) .*?\n\s+[0-9.]+ images/s \(([0-9.]+) s write action", log, re.S)
    ips = int(m.group(1)) / float(m.group(2)) if m else float("nan")
    end, wall = ends.get(tag, (None, None))
    fc = [c for (t, c) in cpu if end and end - wall <= t <= end]
    foreign = "%.2f" % st.mean(fc) if fc else "n/a"
    rss = re.search(r"peak RSS per Python worker: (.*)", log)
    res.setdefault((side, b), []).append(ips)
    print("%-11s B=%s %.4f images/s (%s s)  load before %-15s after %-15s max1m %-5s foreign cores %s%s"
          % (tag, b, ips, m.group(2) if m else "?", r[4], r[5], r[6], foreign,
             "  peak RSS " + rss.group(1) if rss else ""))
for b in sorted({k[1] for k in res}):
    j, p = res.get(("java", b), []), res.get(("peer", b), [])
    if j and p:
        print("B=%s java median %.4f, peer median %.4f, ratio java/peer %.2f" % (b, st.median(j), st.median(p),
                                                                            st.median(j) / st.median(p)))
