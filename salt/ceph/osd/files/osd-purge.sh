#!/bin/sh
# osd-purge.sh CLUSTER ID BOOTSTRAP_KEYRING
# Removes osd.ID from the cluster (CRUSH entry, cephx key, id) when this host may: with its admin
# key if it has one, else with the bootstrap-osd key, which may only purge an OSD that never
# booted. Otherwise it says so and succeeds: the host's own data is removed either way, and the id
# is then purged from an admin host (`ceph osd purge ID --yes-i-really-mean-it`). Managed by Salt.
set -u
cluster=$1 id=$2 boot=$3
if ceph --cluster "$cluster" --connect-timeout 30 osd purge "$id" --yes-i-really-mean-it 2>/dev/null; then
  exit 0
fi
if ceph --cluster "$cluster" --name client.bootstrap-osd --keyring "$boot" --connect-timeout 30 \
  osd purge-new "osd.$id" --yes-i-really-mean-it 2>/dev/null; then
  exit 0
fi
echo "osd.$id was not purged from the cluster (this host has no key allowed to): purge it from an admin host"
