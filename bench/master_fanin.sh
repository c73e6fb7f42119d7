#!/usr/bin/env bash
# Master fan-in: one master, N fake worker streams (bench/fake_workers.cc) each sending a
# realistic delta (30 labels with ~100-bucket histograms) and a heartbeat every second.
# Reports the master's CPU share of one core in the steady state (goal: under 10%), its RSS,
# and the time from the stop to the printed report.
# Usage: bench/master_fanin.sh [WORKERS] [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
workers=${1:-200}
secs=${2:-30}
build=${LOADSIM_BUILD:-build}
dir=$(mktemp -d /tmp/loadsim-fanin.XXXXXX)
trap 'rm -rf "$dir"' EXIT
cat > "$dir/config.plist" <<CONF
<plist><dict><key>arrival</key><dict><key>params</key><dict>
<key>groups</key><integer>1</integer><key>groupSize</key><integer>2000</integer>
</dict></dict></dict></plist>
CONF
cat > "$dir/clients.plist" <<CONF
<plist><dict><key>clients</key><array><dict><key>software</key><string>Robot</string>
<key>params</key><dict><key>origins</key><string>http://127.0.0.1:9/</string></dict>
</dict></array></dict></plist>
CONF
port=$((20000 + RANDOM % 20000))
"$build/master/loadsim-master" --config "$dir/config.plist" --clients "$dir/clients.plist" \
  --listen "127.0.0.1:$port" --expect-workers "$workers" --token fanin --runtime "${secs}s" \
  --wait-timeout 60s > "$dir/master.out" 2>&1 &
master=$!
sleep 1
"$build/bench/fake_workers" --master "127.0.0.1:$port" --token fanin --workers "$workers" \
  > "$dir/fake.out" 2>&1 &
fake=$!
hz=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$master/stat"; }
sleep $((secs / 3 + 2))
c0=$(cpu); t0=$(date +%s.%N)
sleep $((secs / 3))
c1=$(cpu); t1=$(date +%s.%N)
rss=$(awk '/VmRSS/{print $2}' "/proc/$master/status")
wait $fake || true
wait $master || true
awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v hz="$hz" -v rss="$rss" -v w="$workers" \
  'BEGIN{printf "master with %d worker streams: %.1f%% of one core in the steady state (goal < 10%%), RSS %.1f MB\n", w, 100*(c1-c0)/hz/(t1-t0), rss/1024}'
grep -E 'report printed' "$dir/master.out" || true
tail -n 1 "$dir/fake.out"
