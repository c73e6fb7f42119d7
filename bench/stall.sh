#!/usr/bin/env bash
# Latency correctness under a server stall (coordinated omission). nginx is stopped with
# SIGSTOP for 1 s in the middle of a 10 s run. loadsim runs open loop at a fixed rate and
# measures from each request's due time, so every request due during the stall counts the
# wait; wrk (closed loop) measures from when it sent, so its percentiles hide the stall.
# With a uniform arrival rate, about stall/runtime = 10% of requests are delayed by a
# uniformly spread 0..1 s, so an honest p99 is about 0.9 s (what wrk2 would report).
# Usage: bench/stall.sh
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
port=18087
rate=2000
start_nginx $port 1
write_robot_run 20 "<key>origins</key><string>http://127.0.0.1:$port/1k.html</string>
  <key>req_rate</key><real>$((rate / 20))</real><key>open_conn_lmt</key><integer>4</integer>"
stall() { sleep 4.5; kill -STOP "$NGINX_PID"; sleep 1; kill -CONT "$NGINX_PID"; }
stall &
taskset -c 0 "$LOADSIM_WORKER" --standalone --config "$BENCH_DIR/config.plist" \
  --clients "$BENCH_DIR/clients.plist" --runtime 10s --threads 1 > "$BENCH_DIR/loadsim.out"
wait
stall &
taskset -c 0 wrk -t1 -c20 -d10s --latency "http://127.0.0.1:$port/1k.html" > "$BENCH_DIR/wrk.out"
wait
echo "loadsim (open loop, $rate req/s, latency from the due time):"
grep -E '^(label|GET|lag)' "$BENCH_DIR/loadsim.out"
echo "wrk (closed loop, 20 connections):"
grep -E 'Latency|50%|90%|99%|Requests/sec' "$BENCH_DIR/wrk.out"
