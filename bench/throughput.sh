#!/usr/bin/env bash
# Raw-throughput benchmark: loadsim's HTTP robot vs wrk vs locust (FastHttpUser) against one
# nginx serving a 1 KiB file on 127.0.0.1, keep-alive, 50 connections, best effort. nginx runs
# on CPU 1, each generator on CPU 0 (taskset), one after the other, same duration.
# Usage: bench/throughput.sh [SECONDS]   (measures $LOADSIM_WORKER; bench/run builds it)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
secs=${1:-10}
port=18088
url=http://127.0.0.1:$port/1k.html
start_nginx $port 1

# --- loadsim: 50 robots, one connection each, best effort, one event-loop thread -----------
write_robot_run 50 "<key>origins</key><string>$url</string><key>open_conn_lmt</key><integer>1</integer>"

timeit() {  # timeit OUT CMD...: runs CMD on CPU 0, writes "elapsed user sys maxrss_kb" to OUT.time
  local out=$1; shift
  taskset -c 0 /usr/bin/time -f "%e %U %S %M" -o "$out.time" "$@" > "$out" 2>"$out.err"
}

nginx_cpu_before=$(cpu_of_pid "$NGINX_PID")
timeit "$BENCH_DIR/loadsim.out" "$LOADSIM_WORKER" --standalone \
  --config "$BENCH_DIR/config.plist" --clients "$BENCH_DIR/clients.plist" \
  --runtime "${secs}s" --threads 1
timeit "$BENCH_DIR/wrk.out" wrk -t1 -c50 -d"${secs}s" --latency "$url"

cat > "$BENCH_DIR/locustfile.py" <<'PY'
from locust import constant, task
from locust.contrib.fasthttp import FastHttpUser

class One(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self):
        self.client.get("/1k.html")
PY
timeit "$BENCH_DIR/locust.out" /usr/bin/locust -f "$BENCH_DIR/locustfile.py" --headless \
  -u 50 -r 50 -t "${secs}s" --host "http://127.0.0.1:$port" --only-summary \
  --csv "$BENCH_DIR/locust" || true

/usr/bin/python3 - "$BENCH_DIR" "$secs" <<'PY'
import csv, re, sys
d, secs = sys.argv[1], float(sys.argv[2])

def usage(name):
    e, u, s, rss = open(f"{d}/{name}.out.time").read().split()[-4:]
    return float(u) + float(s), int(rss) / 1024

def ms(text):
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v

rows = []
out = open(f"{d}/loadsim.out").read()
m = re.search(r"^GET\{robot\}\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)", out, re.M)
count, failed, rate, mean, p50, p90, p99 = m.groups()
cpu, rss = usage("loadsim")
rows.append(("loadsim", float(rate), cpu / int(count), rss, float(p50), float(p99), int(failed)))

out = open(f"{d}/wrk.out").read()
rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
total = int(re.search(r"(\d+) requests in", out).group(1))
p50 = ms(re.search(r"50%\s+(\S+)", out).group(1))
p99 = ms(re.search(r"99%\s+(\S+)", out).group(1))
errors = sum(int(x) for x in re.findall(r"(?:connect|read|write|timeout) (\d+)", out))
cpu, rss = usage("wrk")
rows.append(("wrk", rate, cpu / total, rss, p50, p99, errors))

try:
    for r in csv.DictReader(open(f"{d}/locust_stats.csv")):
        if r["Name"] == "Aggregated":
            n = int(r["Request Count"])
            cpu, rss = usage("locust")
            rows.append(("locust", float(r["Requests/s"]), cpu / n, rss, float(r["50%"]),
                         float(r["99%"]), int(r["Failure Count"])))
except FileNotFoundError:
    print("locust produced no statistics; see", f"{d}/locust.out.err")

print(f"{'tool':10} {'req/s':>10} {'CPU us/req':>11} {'RSS MB':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
for name, rate, cpu_per, rss, p50, p99, err in rows:
    print(f"{name:10} {rate:10.0f} {cpu_per*1e6:11.2f} {rss:8.1f} {p50:8.3f} {p99:8.3f} {err:7d}")
byname = {r[0]: r for r in rows}
if "wrk" in byname:
    l, w = byname["loadsim"], byname["wrk"]
    print(f"loadsim/wrk: req/s {l[1]/w[1]:.2f} (goal >= 0.70), CPU per request {l[2]/w[2]:.2f}x (goal <= 1.5)")
if "locust" in byname:
    l, c = byname["loadsim"], byname["locust"]
    print(f"loadsim/locust: requests per CPU second {(1/l[2])/(1/c[2]):.1f}x (floor >= 8)")
PY
