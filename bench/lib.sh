# Shared helpers for bench/ scripts: a throwaway nginx on 127.0.0.1 and process measurements.
# Source it; it defines BENCH_DIR (a scratch directory removed on exit) and these functions.

BENCH_DIR=$(mktemp -d /tmp/loadsim-bench.XXXXXX)
chmod 755 "$BENCH_DIR"  # nginx workers run as an unprivileged user
NGINX_PID=""
cleanup_bench() {
  if [ -n "$NGINX_PID" ]; then kill -CONT "$NGINX_PID" 2>/dev/null || true; fi
  if [ -f "$BENCH_DIR/nginx/nginx.pid" ]; then
    kill "$(cat "$BENCH_DIR/nginx/nginx.pid")" 2>/dev/null || true
  fi
  sleep 0.2
  rm -rf "$BENCH_DIR"
}
trap cleanup_bench EXIT

# start_nginx PORT CPU: one worker process pinned to CPU, serving /1k.html (1024 bytes).
start_nginx() {
  local port=$1 cpu=$2 d=$BENCH_DIR/nginx
  mkdir -p "$d/html" "$d/logs" "$d/tmp"
  head -c 1024 /dev/zero | tr '\0' 'x' > "$d/html/1k.html"
  cat > "$d/nginx.conf" <<CONF
worker_processes 1;
daemon on;
pid $d/nginx.pid;
error_log $d/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 65;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen 127.0.0.1:$port;
    root $d/html;
    location /error { return 500; }
    location /slow { return 200 "slow"; }
  }
}
CONF
  taskset -c "$cpu" nginx -p "$d" -c "$d/nginx.conf" -e "$d/logs/error.log"
  for _ in $(seq 1 50); do
    [ -f "$d/nginx.pid" ] && curl -sf "http://127.0.0.1:$port/1k.html" -o /dev/null && break
    sleep 0.1
  done
  # The worker (child of the master) is the process that serves and that SIGSTOP must hit.
  NGINX_PID=$(pgrep -P "$(cat "$d/nginx.pid")" | head -1)
}

# cpu_of_pid PID: user+system CPU seconds consumed so far.
cpu_of_pid() {
  awk -v hz="$(getconf CLK_TCK)" '{print ($14 + $15) / hz}' "/proc/$1/stat"
}

# The worker binary to measure (bench/run builds a Release one).
LOADSIM_WORKER=${LOADSIM_WORKER:-build/worker/loadsim-worker}

# write_robot_run USERS PARAMS: writes $BENCH_DIR/config.plist (USERS users, all starting at
# once) and $BENCH_DIR/clients.plist (one Robot per user with PARAMS, a plist dict body).
write_robot_run() {
  local users=$1 params=$2
  cat > "$BENCH_DIR/config.plist" <<CONF
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict>
  <key>arrival</key><dict><key>params</key><dict>
    <key>groups</key><integer>1</integer><key>groupSize</key><integer>$users</integer>
    <key>interval</key><integer>0</integer></dict></dict>
</dict></plist>
CONF
  cat > "$BENCH_DIR/clients.plist" <<CONF
<?xml version="1.0" encoding="UTF-8"?>
<plist version="1.0"><dict><key>clients</key><array><dict>
  <key>software</key><string>Robot</string>
  <key>params</key><dict>$params</dict>
</dict></array></dict></plist>
CONF
}
