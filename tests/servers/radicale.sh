#!/usr/bin/env bash
# Starts a throwaway Radicale on 127.0.0.1 for the main job and manual runs.
#   tests/servers/radicale.sh start DIR PORT ACCOUNTS_CSV   prints the PID when it answers
#   tests/servers/radicale.sh stop DIR
# Accounts come from a CalendarServer accounts CSV (uid,password,...): plain htpasswd lines.
# RADICALE_LOG_LEVEL=info makes DIR/radicale.log list every request (default: warning).
# Uses Debian's /usr/bin/python3 (the python3 on PATH may be another one without radicale).
set -euo pipefail
cmd=$1 dir=$2
case "$cmd" in
  start)
    port=$3 accounts=$4
    mkdir -p "$dir/data"
    awk -F, 'NF >= 2 && $1 != "" && tolower($1) != "uid" {print $1 ":" $2}' "$accounts" > "$dir/users"
    cat > "$dir/config" <<CONF
[server]
hosts = 127.0.0.1:$port
max_connections = 200
[auth]
type = htpasswd
htpasswd_filename = $dir/users
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = $dir/data
[web]
type = none
[logging]
level = ${RADICALE_LOG_LEVEL:-warning}
CONF
    /usr/bin/python3 -m radicale --config "$dir/config" > "$dir/radicale.log" 2>&1 &
    echo $! > "$dir/radicale.pid"
    for _ in $(seq 1 100); do
      if curl -s -o /dev/null "http://127.0.0.1:$port/"; then cat "$dir/radicale.pid"; exit 0; fi
      sleep 0.1
    done
    echo "radicale did not start; see $dir/radicale.log" >&2
    exit 1
    ;;
  stop)
    if [ -f "$dir/radicale.pid" ]; then
      kill "$(cat "$dir/radicale.pid")" 2>/dev/null || true
      rm -f "$dir/radicale.pid"
    fi
    ;;
  *)
    echo "usage: $0 start DIR PORT ACCOUNTS_CSV | stop DIR" >&2
    exit 2
    ;;
esac
