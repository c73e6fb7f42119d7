#!/bin/sh
# Entry point of the loadsim image: runs its arguments (loadsim-master or loadsim-worker ...).
# "{config}" in an argument names the configuration directory: LOADSIM_CONFIG_DIR (default
# /etc/loadsim, the project's configs/). When LOADSIM_SERVER is set (e.g. http://radicale:5232)
# that directory is first copied to /tmp/loadsim-config with the `server` URL of its
# config.plist replaced, and "{config}" names the copy. So one image serves any target:
#   LOADSIM_SERVER=http://radicale:5232 loadsim-entrypoint \
#     loadsim-master --config {config}/config.plist --clients {config}/clients.plist ...
set -eu
dir=${LOADSIM_CONFIG_DIR:-/etc/loadsim}
if [ -n "${LOADSIM_SERVER:-}" ]; then
  rm -rf /tmp/loadsim-config
  cp -r "$dir" /tmp/loadsim-config
  dir=/tmp/loadsim-config
  # The first <string> after <key>server</key>, on the same line or a later one.
  awk -v url="$LOADSIM_SERVER" '
    !done && (at = index($0, "<key>server</key>")) {
      head = substr($0, 1, at + 16); rest = substr($0, at + 17); pending = 1
      if (sub(/<string>[^<]*<\/string>/, "<string>" url "</string>", rest)) pending = 0
      done = !pending; print head rest; next
    }
    pending && sub(/<string>[^<]*<\/string>/, "<string>" url "</string>") { pending = 0; done = 1 }
    { print }
  ' "$dir/config.plist" > "$dir/config.plist.new"
  mv "$dir/config.plist.new" "$dir/config.plist"
  if ! grep -qF "<string>$LOADSIM_SERVER</string>" "$dir/config.plist"; then
    echo "loadsim-entrypoint: $dir/config.plist has no <key>server</key> to set" >&2
    exit 2
  fi
fi
first=1
for arg in "$@"; do
  if [ "$first" = 1 ]; then set --; first=0; fi
  set -- "$@" "$(printf '%s' "$arg" | sed "s#{config}#$dir#g")"
done
exec "$@"
