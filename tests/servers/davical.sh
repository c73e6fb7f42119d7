#!/usr/bin/env bash
# A throwaway DAViCal (Debian's davical, PHP's built-in server, no Apache) on 127.0.0.1, with
# its own PostgreSQL cluster reachable only through a Unix socket inside DIR. For tests
# (tests/servers/davical_server.h) and manual runs.
#   tests/servers/davical.sh start DIR PORT USERS [WORKERS]
#                                                   users user01..userNN / pass01..passNN
#                                                   (userNNN / passNNN from 100 on), WORKERS
#                                                   php processes (default 4); prints the php
#                                                   PID once DAViCal answers
#   tests/servers/davical.sh stop DIR               stops php (its whole process group) and
#                                                   PostgreSQL, leaves DIR
#   tests/servers/davical.sh psql DIR ARGS...       psql on the cluster's davical database
# Every user has a principal allowed to schedule (read-free-busy + schedule-deliver), a
# scheduling inbox /caldav.php/<user>/.in/, an outbox .out/ and a VEVENT calendar calendar/.
# DAViCal reads /etc/davical/<SERVER_NAME>-conf.php before the config.php the Debian package
# ships; php -S serves as 127.0.0.1, so this script writes /etc/davical/127.0.0.1-conf.php
# (needs root once; identical content every time; the package's config.php is left alone) and points libpq at the cluster through
# PGHOST/PGPORT, so several clusters can run side by side. As root, PostgreSQL runs as the
# postgres user (initdb refuses root). Start-up takes about 3 s (initdb without fsync,
# create-database.sh, one SQL script, php -S).
# Concurrency caveat: DAViCal's scheduling updates the collections of several users in one
# transaction, in no fixed order, so concurrent invitations and replies can deadlock in
# PostgreSQL (SQLSTATE 40P01) and answer 500. WORKERS=1 serializes requests and avoids it.
set -euo pipefail

die() { echo "davical.sh: $*" >&2; exit 1; }

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || die "usage: $0 start DIR PORT USERS [WORKERS] | stop DIR | psql DIR ARGS..."
case "$dir" in /*) ;; *) die "DIR must be an absolute path: $dir" ;; esac

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
htdocs=/usr/share/davical/htdocs
router=$(cd "$(dirname "$0")" && pwd)/davical_router.php
config=/etc/davical/127.0.0.1-conf.php
marker='// loadsim davical.sh'

export PGHOST=$dir/sock PGPORT=5432 PGUSER=postgres

# Runs a PostgreSQL server program as the cluster's owner.
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

write_config() {
  local want
  want=$(cat <<'PHP'
<?php
// loadsim davical.sh: DAViCal for throwaway test clusters. libpq finds the cluster through the
// PGHOST / PGPORT environment of the php process; nothing here names a host or a port.
$c->pg_connect[] = 'dbname=davical user=davical_app';
$c->domain_name = '127.0.0.1';
$c->system_name = 'loadsim DAViCal';
$c->admin_email = 'admin@example.com';
$c->restrict_setup_to_admin = true;
PHP
)
  if [ -f "$config" ] && [ "$(cat "$config")" = "$want" ]; then return 0; fi
  if [ -f "$config" ] && ! grep -qF "$marker" "$config"; then
    die "$config exists and was not written by loadsim; not overwriting it"
  fi
  mkdir -p /etc/davical 2>/dev/null || die "cannot create /etc/davical (run once as root)"
  printf '%s\n' "$want" > "$config.tmp.$$" 2>/dev/null || die "cannot write $config (run once as root)"
  mv -f "$config.tmp.$$" "$config"
}

start() {
  local port=${3:-} users=${4:-} workers=${5:-4}
  [[ "$port" =~ ^[0-9]+$ ]] || die "PORT must be a number: '$port'"
  [[ "$workers" =~ ^[0-9]+$ ]] && [ "$workers" -ge 1 ] && [ "$workers" -le 64 ] ||
    die "WORKERS must be 1..64: '$workers'"
  [[ "$users" =~ ^[0-9]+$ ]] && [ "$users" -ge 1 ] && [ "$users" -le 999 ] ||
    die "USERS must be 1..999: '$users'"
  [ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || die "PostgreSQL server not installed (scripts/setup)"
  [ -f "$htdocs/caldav.php" ] || die "davical not installed (scripts/setup)"
  command -v php >/dev/null || die "php-cli not installed (scripts/setup)"
  [ -f "$router" ] || die "missing $router"
  write_config

  mkdir -p "$dir/sock"
  [ ! -e "$dir/pgdata" ] || die "$dir/pgdata exists: stop and remove the previous server first"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir" "$dir/sock"; fi
  as_owner "$pgbin/initdb" -N -D "$dir/pgdata" -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
    > "$dir/initdb.log" 2>&1 || die "initdb failed; see $dir/initdb.log"
  # Unix socket only (no TCP), no durability: a test cluster.
  as_owner "$pgbin/pg_ctl" -D "$dir/pgdata" -l "$dir/pg.log" -w start -o \
    "-p $PGPORT -k $dir/sock -c listen_addresses='' -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    > /dev/null || die "PostgreSQL did not start; see $dir/pg.log"
  /usr/share/davical/dba/create-database.sh davical adminpw > "$dir/create-database.log" 2>&1 ||
    die "create-database.sh failed; see $dir/create-database.log"
  # Accounts: a plain-text password is stored with a "**" prefix. A usr row needs a principal
  # (DAViCal makes them only through its external-auth hooks); default_privileges
  # read-free-busy (512) + schedule-deliver (7168), without which invitations are not
  # delivered. Inbox, outbox and a VEVENT calendar, as DAViCal's CreateHomeCollections does.
  psql -qXAt -v ON_ERROR_STOP=1 -v users="$users" davical > "$dir/accounts.log" 2>&1 <<'SQL' ||
INSERT INTO usr (username, password, fullname, email, active)
  SELECT 'user' || n, '**pass' || n, 'User ' || n, 'user' || n || '@example.com', true
  FROM (SELECT lpad(i::text, CASE WHEN :users >= 100 THEN 3 ELSE 2 END, '0') AS n
        FROM generate_series(1, :users) AS i) AS numbers;
INSERT INTO principal (type_id, user_no, displayname, default_privileges)
  SELECT 1, user_no, fullname, (512 + 7168)::bit(24) FROM usr WHERE username LIKE 'user%';
INSERT INTO collection (user_no, parent_container, dav_name, dav_etag, dav_displayname,
                        is_calendar, created, modified, resourcetypes)
  SELECT u.user_no, '/' || u.username || '/', '/' || u.username || '/' || c.name || '/', '-1',
         u.fullname || c.suffix, c.is_calendar, now(), now(), c.types
  FROM usr u CROSS JOIN (VALUES
    ('.in', ' Inbox', false, '<DAV::collection/><urn:ietf:params:xml:ns:caldav:schedule-inbox/>'),
    ('.out', ' Outbox', false, '<DAV::collection/><urn:ietf:params:xml:ns:caldav:schedule-outbox/>'),
    ('calendar', ' Calendar', true, '<DAV::collection/><urn:ietf:params:xml:ns:caldav:calendar/>'))
    AS c (name, suffix, is_calendar, types)
  WHERE u.username LIKE 'user%';
INSERT INTO property (dav_name, property_name, property_value, changed_on, changed_by)
  SELECT '/' || username || '/calendar/',
         'urn:ietf:params:xml:ns:caldav:supported-calendar-component-set',
         '<comp name="VEVENT" xmlns="urn:ietf:params:xml:ns:caldav"/>', now(), user_no
  FROM usr WHERE username LIKE 'user%';
SQL
    die "creating the accounts failed; see $dir/accounts.log"

  # php -S forks PHP_CLI_SERVER_WORKERS workers that outlive their parent: run it as the
  # leader of its own process group so that stop can end them all. One worker: no fork.
  local fork=()
  if [ "$workers" -gt 1 ]; then fork=(env "PHP_CLI_SERVER_WORKERS=$workers"); fi
  "${fork[@]}" setsid php -d display_errors=stderr -S "127.0.0.1:$port" \
    -t "$htdocs" "$router" > "$dir/php.log" 2>&1 < /dev/null &
  echo $! > "$dir/php.pid"
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "http://127.0.0.1:$port/caldav.php/"; then cat "$dir/php.pid"; return 0; fi
    kill -0 "$(cat "$dir/php.pid")" 2>/dev/null || die "php -S exited; see $dir/php.log"
    sleep 0.05
  done
  die "DAViCal did not answer on port $port; see $dir/php.log"
}

stop() {
  if [ -f "$dir/php.pid" ]; then
    local pid
    pid=$(cat "$dir/php.pid")
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.05
    done
    kill -KILL -- "-$pid" 2>/dev/null || true
    rm -f "$dir/php.pid"
  fi
  if [ -f "$dir/pgdata/postmaster.pid" ]; then
    as_owner "$pgbin/pg_ctl" -D "$dir/pgdata" -m immediate -w stop > /dev/null 2>&1 || true
  fi
}

case "$cmd" in
  start) start "$@" ;;
  stop) stop ;;
  psql) shift 2; exec psql -X "$@" davical ;;
  *) die "unknown command '$cmd'" ;;
esac
