#!/usr/bin/env bash
# Calendar-client benchmark: USERS simulated OS X 10.7 clients with the project's profiles
# (configs/clients.plist: Eventer, RealisticInviter, Accepter, Tasker; 30 s home polls) on one
# worker process with one event-loop thread (CPU 0), against nginx answering with canned CalDAV
# responses (bench/caldav_canned.conf, CPU 1), so the server is not the bottleneck.
#
# Three runs of the same configuration:
#   A  USERS users for LONG seconds: RSS sampled at SAMPLE seconds, lag p99, counts;
#   B  USERS users for SAMPLE seconds: CPU and requests up to then, so that
#      (CPU_A - CPU_B) / (requests_A - requests_B) is the steady-state CPU per CalDAV request;
#   C  BASE users for SAMPLE seconds: the RSS of the process without the users.
# Resident memory per user = (RSS_A(SAMPLE) - RSS_C(SAMPLE)) / (USERS - BASE). Users arrive in
# ARRIVAL_GROUPS groups one second apart (default 100: 100 users a second for 10,000 users, a ramp one
# thread sustains), so start-up (discovery, first poll, first syncs) is over before SAMPLE.
# Goals: < 16 KB per user, < 40 us CPU per request, lag p99 < 5 ms. CPU is printed as a whole
# and split into user space and kernel (loopback TCP is paid in the sender's kernel context).
# Peer row: wrk, the leanest HTTP client at hand, with one connection (each request waits for
# its own wake-up, as the simulated clients' sparse requests do) sending PROPFIND Depth 1 to
# the same nginx on the same CPU for WRK_SECS (15) seconds: its CPU per request is the floor
# that loopback TCP and the wake-ups cost on this machine, whatever the client does.
# IDLE_PCONN_TOUT=S sets the clients' keep-alive (idle_pconn_tout, default 15 s: the 30 s polls
# then reconnect; a value above the poll interval keeps each client's connection open).
# Usage: [ARRIVAL_GROUPS=100] [IDLE_PCONN_TOUT=S] bench/caldav_clients.sh [USERS] [LONG] [SAMPLE]
#   (measures $LOADSIM_WORKER)
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
users=${1:-10000}
long=${2:-240}
sample=${3:-150}
ngroups=${ARRIVAL_GROUPS:-100}
base=10
port=18092
# The sample must come after the last arrival group (one a second) plus start-up time, or the
# memory per user and the steady state would count users not yet started.
if [ "$users" -ge "$ngroups" ] && [ "$sample" -lt $((ngroups + 30)) ]; then
  echo "SAMPLE ($sample s) must be at least ARRIVAL_GROUPS + 30 ($((ngroups + 30)) s)" >&2
  exit 2
fi

d=$BENCH_DIR/nginx
mkdir -p "$d/logs" "$d/tmp"
sed -e "s|@DIR@|$d|g" -e "s|@PORT@|$port|g" bench/caldav_canned.conf > "$d/nginx.conf"
taskset -c 1 nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log"
for _ in $(seq 1 50); do
  [ -f "$d/nginx.pid" ] && curl -sf -X PROPFIND -H 'Depth: 0' "http://127.0.0.1:$port/.well-known/caldav/" -o /dev/null && break
  sleep 0.1
done
NGINX_PID=$(pgrep -P "$(cat "$d/nginx.pid")" | head -1)

# write_config N: config.plist for N users (generated accounts) in $ngroups groups 1 s apart.
write_config() {
  local n=$1 groups=$ngroups
  [ "$n" -lt "$groups" ] && groups=1
  cat > "$BENCH_DIR/config.plist" <<CONF
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>server</key><string>http://127.0.0.1:$port</string>
  <key>principalPathTemplate</key><string>/principals/users/%s/</string>
  <key>accounts</key><dict><key>loader</key><string>generateRecords</string>
    <key>params</key><dict><key>count</key><integer>$n</integer></dict></dict>
  <key>arrival</key><dict><key>params</key><dict>
    <key>groups</key><integer>$groups</integer><key>groupSize</key><integer>$((n / groups))</integer>
    <key>interval</key><integer>1</integer></dict></dict>
</dict></plist>
CONF
}
if [ -n "${IDLE_PCONN_TOUT:-}" ]; then
  sed -e "s|<key>ampPushPort</key>|<key>idle_pconn_tout</key><integer>$IDLE_PCONN_TOUT</integer><key>ampPushPort</key>|" \
    configs/clients.plist > "$BENCH_DIR/clients.plist"
  grep -q idle_pconn_tout "$BENCH_DIR/clients.plist" || { echo "IDLE_PCONN_TOUT: no client params found"; exit 1; }
else
  cp configs/clients.plist "$BENCH_DIR/clients.plist"
fi

# run NAME N SECONDS: runs the worker on CPU 0; writes NAME.out, NAME.rss (VmRSS kB at
# $sample s after the start, or the last value seen) and NAME.cpu (CPU seconds at exit).
run() {
  local name=$1 n=$2 secs=$3
  write_config "$n"
  taskset -c 0 /usr/bin/time -f "%U %S" -o "$BENCH_DIR/$name.time" "$LOADSIM_WORKER" \
    --standalone --config "$BENCH_DIR/config.plist" --clients "$BENCH_DIR/clients.plist" \
    --runtime "${secs}s" --threads 1 > "$BENCH_DIR/$name.out" 2> "$BENCH_DIR/$name.err" &
  local timer=$! start pid="" rss=0
  start=$(date +%s.%N)
  while kill -0 "$timer" 2>/dev/null; do
    [ -z "$pid" ] && pid=$(pgrep -P "$timer" | head -1 || true)
    if [ -n "$pid" ] && awk -v s="$start" -v now="$(date +%s.%N)" -v at="$sample" \
         'BEGIN{exit !(now - s < at)}'; then
      rss=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || echo "$rss")
    fi
    sleep 0.2
  done
  wait "$timer" || { echo "worker failed: $(cat "$BENCH_DIR/$name.err")"; exit 1; }
  echo "$rss" > "$BENCH_DIR/$name.rss"
  awk '{print $1 + $2}' "$BENCH_DIR/$name.time" > "$BENCH_DIR/$name.cpu"
  awk '{print $1}' "$BENCH_DIR/$name.time" > "$BENCH_DIR/$name.ucpu"
}

run A "$users" "$long"
run B "$users" "$sample"
run C "$base" "$sample"

cat > "$BENCH_DIR/propfind.lua" <<'LUA'
wrk.method = "PROPFIND"
wrk.headers["Depth"] = "1"
wrk.headers["Content-Type"] = "text/xml"
wrk.body = '<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>'
LUA
taskset -c 0 /usr/bin/time -f "%U %S" -o "$BENCH_DIR/wrk.time" wrk -t1 -c1 -d"${WRK_SECS:-15}s" \
  -s "$BENCH_DIR/propfind.lua" "http://127.0.0.1:$port/calendars/u/" > "$BENCH_DIR/wrk.out"

/usr/bin/python3 - "$BENCH_DIR" "$users" "$base" "$long" "$sample" "${IDLE_PCONN_TOUT:-15}" <<'PY'
import re, sys
d, users, base, long_s, sample = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
idle = sys.argv[6]

def table(name):
    rows = {}
    for line in open(f"{d}/{name}.out"):
        m = re.match(r"^(\S.*?)\s+(\d+)\s+(\d+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)$", line)
        if m:
            rows[m.group(1)] = [float(x) for x in m.groups()[1:]]
    return rows

def requests(rows):  # CalDAV requests: labels with {...} but not lag/blocked/AUTH/AMP lines
    return sum(r[0] for l, r in rows.items()
               if "{" in l and not l.startswith(("lag{", "blocked{", "AUTH{", "AMP{")))

a, b = table("A"), table("B")
rss = {n: int(open(f"{d}/{n}.rss").read()) for n in "ABC"}
cpu = {n: float(open(f"{d}/{n}.cpu").read()) for n in "ABC"}
ucpu = {n: float(open(f"{d}/{n}.ucpu").read()) for n in "ABC"}
req_a, req_b = requests(a), requests(b)
per_user_kb = (rss["A"] - rss["C"]) / (users - base)
cpu_us = (cpu["A"] - cpu["B"]) / max(req_a - req_b, 1) * 1e6
cpu_all_us = cpu["A"] / max(req_a, 1) * 1e6
ucpu_us = (ucpu["A"] - ucpu["B"]) / max(req_a - req_b, 1) * 1e6
failures = sum(r[1] for l, r in a.items())
lag = {l: r[6] for l, r in a.items() if l.startswith("lag{")}
lag_p99 = max(lag.values()) if lag else float("nan")

print(f"labels of run A ({users} users, {long_s:.0f} s):")
for l, r in sorted(a.items()):
    print(f"  {l:28} {int(r[0]):9d} {int(r[1]):6d} failed  {r[2]:9.1f}/s  p99 {r[6]:8.3f} ms")
print()
print(f"{'measure':40} {'value':>12} {'goal':>10}")
print(f"{'users':40} {users:12d}")
print(f"{'clients idle_pconn_tout (s)':40} {idle:>12}")
print(f"{'RSS at ' + str(int(sample)) + ' s, ' + str(users) + ' users (MB)':40} {rss['A']/1024:12.1f}")
print(f"{'RSS at ' + str(int(sample)) + ' s, ' + str(base) + ' users (MB)':40} {rss['C']/1024:12.1f}")
print(f"{'resident memory per user (KB)':40} {per_user_kb:12.2f} {'< 16':>10}")
print(f"{'CalDAV requests, steady state (A - B)':40} {int(req_a - req_b):12d}")
print(f"{'request rate, steady state (/s)':40} {(req_a - req_b) / (long_s - sample):12.1f}")
print(f"{'CPU per request, steady state (us)':40} {cpu_us:12.2f} {'< 40':>10}")
print(f"{'  of which user space (us)':40} {ucpu_us:12.2f}")
print(f"{'  of which kernel (us)':40} {cpu_us - ucpu_us:12.2f}")
print(f"{'CPU per request, whole run A (us)':40} {cpu_all_us:12.2f}")
for l, v in sorted(lag.items()):
    print(f"{l + ' p99 (ms)':40} {v:12.3f} {'< 5':>10}")
wrk_n = int(re.search(r"(\d+) requests in", open(f"{d}/wrk.out").read()).group(1))
wrk_u, wrk_s = (float(x) for x in open(f"{d}/wrk.time").read().split())
print(f"{'peer: wrk -c1, CPU per request (us)':40} {(wrk_u + wrk_s) / wrk_n * 1e6:12.2f}")
print(f"{'  of which user space (us)':40} {wrk_u / wrk_n * 1e6:12.2f}")
print(f"{'  of which kernel (us)':40} {wrk_s / wrk_n * 1e6:12.2f}")
print(f"{'kernel per request, loadsim / wrk':40} {(cpu_us - ucpu_us) / (wrk_s / wrk_n * 1e6):12.2f}")
print(f"{'client failures (run A)':40} {int(failures):12d} {'0':>10}")
for line in open(f"{d}/A.out"):
    if line.startswith("failures "):
        print("  " + line.rstrip())
PY
