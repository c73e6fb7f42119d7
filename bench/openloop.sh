#!/usr/bin/env bash
# Open-loop accuracy: loadsim robots at a fixed Poisson rate (default 20,000 req/s in total:
# 50 robots x 400/s) against nginx on 127.0.0.1. Reports the achieved rate against the target,
# the scheduling lag percentiles and the generator's CPU share. Goal: achieved rate within 1%
# of the target; lag p99 under 1 ms while the generator uses under 50% of its core.
# Usage: bench/openloop.sh [SECONDS] [TOTAL_RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
secs=${1:-10}
total=${2:-20000}
robots=50
port=18089
start_nginx $port 1
per_robot=$(awk -v t="$total" -v r="$robots" 'BEGIN{printf "%.6f", t / r}')
write_robot_run "$robots" "<key>origins</key><string>http://127.0.0.1:$port/1k.html</string>
  <key>req_rate</key><real>$per_robot</real><key>open_conn_lmt</key><integer>4</integer>"
taskset -c 0 /usr/bin/time -f "%e %U %S %M" -o "$BENCH_DIR/time" "$LOADSIM_WORKER" \
  --standalone --config "$BENCH_DIR/config.plist" --clients "$BENCH_DIR/clients.plist" \
  --runtime "${secs}s" --threads 1 > "$BENCH_DIR/out"
cat "$BENCH_DIR/out"
/usr/bin/python3 - "$BENCH_DIR" "$secs" "$total" <<'PY'
import re, sys
d, secs, total = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
out = open(f"{d}/out").read()
get = re.search(r"^GET\{robot\}\s+(\d+)\s+(\d+)", out, re.M)
lag = re.search(r"^lag\{robot\}\s+\d+\s+\d+\s+[\d.]+\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out, re.M)
n = int(get.group(1))
e, u, s, rss = open(f"{d}/time").read().split()[-4:]
cpu = (float(u) + float(s)) / float(e)
rate = n / secs
print(f"target {total:.0f} req/s, achieved {rate:.0f} req/s ({(rate/total-1)*100:+.2f}%, goal within 1%)")
print(f"lag mean {float(lag.group(1)):.3f} ms, p50 {float(lag.group(2)):.3f} ms, p99 {float(lag.group(4)):.3f} ms (goal < 1 ms), max {float(lag.group(5)):.3f} ms")
print(f"generator CPU {cpu*100:.0f}% of one core (the lag goal applies below 50%)")
PY
