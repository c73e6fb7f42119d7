#!/usr/bin/env bash
# Runs loadsim processes in Linux network namespaces on one machine: a rehearsal of a
# multi-host cluster, and a way to cut the network between a master and a worker (used by
# tests/master/cluster_faults_test.cc). Needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) and
# iproute2.
#
# Every address stays in 127.0.0.0/8, on one host bridge lsimbr = 127.77.0.1/16 (made by the
# first `up`, removed by the last `down`). Namespace NAME gets a veth pair: lsim<N>h is a port of
# the bridge, lsim<N>n = 127.77.N.2/16 is inside; route_localnet is set on the bridge and on the
# inside end (so loopback-range addresses may cross a link), and the namespace's own loopback
# is narrowed to 127.0.0.1/32. A process inside reaches 127.77.0.1 (the host: bind servers and
# the master to 0.0.0.0 or 127.77.0.1) and the other namespaces, never 127.0.0.1 of the host
# (inside, that is its own loopback) and nothing outside the machine.
#
#   deploy/netns.sh check             exit 0 when namespaces can be made here
#   deploy/netns.sh up NAME           create NAME with the first free N (1-254); prints
#                                     "HOST_ADDR NS_ADDR", e.g. "127.77.0.1 127.77.1.2"
#   deploy/netns.sh run NAME CMD...   run CMD inside NAME (exec: CMD keeps this PID)
#   deploy/netns.sh cut NAME          take NAME's port down: packets stop, no socket is closed
#   deploy/netns.sh heal NAME         bring it back up
#   deploy/netns.sh down NAME         stop what still runs inside, delete link and namespace
#
# Example (a master and Radicale on the host, two workers "on other hosts"; Radicale's
# `hosts` and the `server` URL of config.plist use 127.77.0.1):
#   deploy/netns.sh up w1; deploy/netns.sh up w2
#   loadsim-master --config config.plist --clients clients.plist \
#     --listen 127.77.0.1:7000 --expect-workers 2 --token T &
#   deploy/netns.sh run w1 loadsim-worker --master 127.77.0.1:7000 --token T &
#   deploy/netns.sh run w2 loadsim-worker --master 127.77.0.1:7000 --token T &
#   deploy/netns.sh cut w2      # w2 stops its load within 5 s; the master reports it lost
#   deploy/netns.sh down w1; deploy/netns.sh down w2
set -euo pipefail

usage() {
  sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2
  exit 2
}

# The N of namespace $1, from its end of the link.
index_of() {
  local addr
  addr=$(ip -n "$1" -o -4 addr show 2>/dev/null | awk '$4 ~ /^127\.77\./ {print $4; exit}')
  if [ -z "$addr" ]; then
    echo "netns.sh: no namespace '$1' made by this script" >&2
    exit 1
  fi
  addr=${addr#127.77.}
  echo "${addr%%.*}"
}

cmd=${1:-}
case "$cmd" in
  check)
    [ "$(id -u)" -eq 0 ] || exit 1
    command -v ip >/dev/null || exit 1
    probe="loadsim-check-$$"
    ip netns add "$probe" 2>/dev/null || exit 1
    ok=0
    ip link add "lsimc$$" type veth peer name "lsimd$$" 2>/dev/null || ok=1
    ip link del "lsimc$$" 2>/dev/null || true
    ip link add "lsimb$$" type bridge 2>/dev/null || ok=1
    ip link del "lsimb$$" 2>/dev/null || true
    ip netns del "$probe"
    exit $ok
    ;;
  up)
    name=${2:?usage: netns.sh up NAME}
    if ! ip link show lsimbr >/dev/null 2>&1; then
      ip link add lsimbr type bridge 2>/dev/null || true  # another `up` may win the race
      ip addr add 127.77.0.1/16 dev lsimbr 2>/dev/null || true
      sysctl -qw net.ipv4.conf.lsimbr.route_localnet=1
      ip link set lsimbr up
    fi
    ip netns add "$name"
    n=""
    for i in $(seq 1 254); do
      # `ip link add` fails when the name is taken: the first success owns N.
      if ip link add "lsim${i}h" type veth peer name "lsim${i}n" 2>/dev/null; then
        n=$i
        break
      fi
    done
    if [ -z "$n" ]; then
      ip netns del "$name"
      echo "netns.sh: no free link name lsim1h..lsim254h" >&2
      exit 1
    fi
    ip link set "lsim${n}h" master lsimbr
    ip link set "lsim${n}h" up
    ip link set "lsim${n}n" netns "$name"
    ip netns exec "$name" sh -e -c "
      ip link set lo up
      ip addr del 127.0.0.1/8 dev lo
      ip addr add 127.0.0.1/32 dev lo
      ip addr add 127.77.$n.2/16 dev lsim${n}n
      sysctl -qw net.ipv4.conf.lsim${n}n.route_localnet=1
      ip link set lsim${n}n up"
    echo "127.77.0.1 127.77.$n.2"
    ;;
  run)
    name=${2:?usage: netns.sh run NAME CMD...}
    shift 2
    [ $# -gt 0 ] || usage
    exec ip netns exec "$name" "$@"
    ;;
  cut)
    n=$(index_of "${2:?usage: netns.sh cut NAME}")
    ip link set "lsim${n}h" down
    ;;
  heal)
    n=$(index_of "${2:?usage: netns.sh heal NAME}")
    ip link set "lsim${n}h" up
    ;;
  down)
    name=${2:?usage: netns.sh down NAME}
    if ip netns list | awk '{print $1}' | grep -qx "$name"; then
      n=$(index_of "$name" 2>/dev/null || true)
      # Processes still inside were started by `run` in this namespace: stop them by PID.
      for pid in $(ip netns pids "$name"); do kill "$pid" 2>/dev/null || true; done
      sleep 0.2
      for pid in $(ip netns pids "$name"); do kill -9 "$pid" 2>/dev/null || true; done
      if [ -n "$n" ]; then ip link del "lsim${n}h" 2>/dev/null || true; fi
      ip netns del "$name"
    fi
    if ip link show lsimbr >/dev/null 2>&1 && [ -z "$(ip -o link show master lsimbr)" ]; then
      ip link del lsimbr 2>/dev/null || true
    fi
    ;;
  *)
    usage
    ;;
esac
