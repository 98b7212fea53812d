#!/bin/sh
# osd-create.sh CLUSTER UUID TYPE(file|device) PATH SIZE BOOTSTRAP_KEYRING USER MARKER
# Registers the OSD (idempotent per uuid), prepares its bluestore on the device or on a sparse
# file, starts ceph-osd@ID and records the id in MARKER. Managed by Salt (ceph formula).
set -eu
cluster=$1 uuid=$2 type=$3 path=$4 size=$5 boot=$6 user=$7 marker=$8
key=$(ceph-authtool --gen-print-key)
id=$(printf '{"cephx_secret": "%s"}' "$key" |
  ceph --cluster "$cluster" --name client.bootstrap-osd --keyring "$boot" --connect-timeout 300 osd new "$uuid" -i -)
dir=/var/lib/ceph/osd/$cluster-$id
mkdir -p "$dir"
printf '[osd.%s]\n\tkey = %s\n' "$id" "$key" > "$dir/keyring"
if [ "$type" = file ]; then
  mkdir -p "$(dirname "$path")"
  [ -e "$path" ] || truncate -s "$size" "$path"
fi
ln -sfn "$path" "$dir/block"
chown -R "$user:$user" "$dir"
chown "$user:$user" "$path"
ceph-osd --cluster "$cluster" -i "$id" --mkfs --osd-uuid "$uuid" --setuser "$user" --setgroup "$user"
systemctl enable --now "ceph-osd@$id"
echo "$id" > "$marker"
