#!/bin/sh
# osd-create.sh CLUSTER UUID TYPE(file|device) PATH SIZE BOOTSTRAP_KEYRING USER MARKER
# Registers the OSD (`ceph osd new`, idempotent per uuid and key), prepares its bluestore on the
# device or on a sparse file, starts ceph-osd@ID and records the id in MARKER. Managed by Salt
# (ceph formula).
#
# Retry-safe: the OSD's key is kept in MARKER.key (0600) from before `osd new` until the OSD
# runs, so a re-run registers the same uuid with the same key and gets the same id (a new key
# for a registered uuid is refused with EEXIST). A failure after `osd new` undoes what this run
# made while it can (`osd purge-new`, which only removes an OSD that never booted; the data
# dir; the key). An OSD left registered without its key (a killed run, an older version of this
# script) is purged the same way before the new one is made. An OSD that has booted is never
# purged here.
set -eu
cluster=$1 uuid=$2 type=$3 path=$4 size=$5 boot=$6 user=$7 marker=$8
pending=$marker.key

log() { printf 'osd-create: %s\n' "$*" >&2; }
ceph_() { ceph --cluster "$cluster" --name client.bootstrap-osd --keyring "$boot" --connect-timeout 300 "$@"; }

# osd_of: "ID STATE" of the OSD registered with this uuid (STATE: new = never booted), or nothing.
osd_of() {
  ceph_ osd dump --format json | python3 -c '
import json, sys
for osd in json.load(sys.stdin)["osds"]:
    if osd["uuid"] == sys.argv[1]:
        print(osd["osd"], "new" if "new" in osd["state"] else "booted")' "$uuid"
}

register() { printf '{"cephx_secret": "%s"}' "$key" | ceph_ osd new "$uuid" -i -; }

mkdir -p "$(dirname "$marker")"
if [ -s "$pending" ]; then
  key=$(cat "$pending")
else
  key=$(ceph-authtool --gen-print-key)
  (umask 077 && printf '%s\n' "$key" >"$pending.tmp")
  mv "$pending.tmp" "$pending"
fi

if ! id=$(register); then
  set -- $(osd_of)
  if [ "${2:-}" != new ]; then
    log "osd new $uuid failed${1:+ and osd.$1 holds this uuid and has booted: it is not this run's to remove}"
    exit 1
  fi
  log "osd.$1 holds uuid $uuid but never booted and its key is lost (a failed earlier run): purging it"
  ceph_ osd purge-new "osd.$1" --yes-i-really-mean-it
  id=$(register)
fi
dir=$(ceph-osd --cluster "$cluster" -i "$id" --show-config-value osd_data)

undo() {
  # Only an OSD that never booted is removed; if the monitors cannot be reached, the key stays
  # in $pending and the next run carries on with the same id.
  if ceph_ osd purge-new "osd.$id" --yes-i-really-mean-it; then
    rm -rf "$dir"
    rm -f "$pending"
    log "creation of osd.$id failed: the OSD id, its data dir and its key were removed"
  else
    log "creation of osd.$id failed and it could not be purged: the next run reuses id and key"
  fi
}
trap 'rc=$?; [ "$rc" -eq 0 ] || undo; exit "$rc"' EXIT

set -- $(osd_of)
if [ "${2:-}" = new ] && ! systemctl is-active --quiet "ceph-osd@$id"; then
  # Never booted, not running: what a failed run left in the data dir is stale.
  rm -rf "$dir"
fi
mkdir -p "$dir"
(umask 077 && printf '[osd.%s]\n\tkey = %s\n' "$id" "$key" >"$dir/keyring")
if [ "$type" = file ]; then
  mkdir -p "$(dirname "$path")"
  [ -e "$path" ] || truncate -s "$size" "$path"
fi
ln -sfn "$path" "$dir/block"
chown -R "$user:$user" "$dir"
chown "$user:$user" "$path"
ceph-osd --cluster "$cluster" -i "$id" --mkfs --osd-uuid "$uuid" --setuser "$user" --setgroup "$user"
systemctl enable --now "ceph-osd@$id"
# Running now: from here on a failure must not purge it; a re-run only writes the marker.
trap - EXIT
echo "$id" >"$marker"
rm -f "$pending"
