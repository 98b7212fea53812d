#!/bin/sh
# mon-mkfs.sh CLUSTER FSID ID ADDR TMP USER GROUP MON_DIR
# Creates a monitor's store once: the monmap of this one monitor (v2 and v1 on ADDR), then
# `ceph-mon --mkfs` with the bootstrap keyring TMP/CLUSTER.mon.keyring; MON_DIR/done marks
# it made (the state's `creates`). Managed by Salt (ceph formula). Values come as arguments,
# never through a shell.
set -eu
cluster=$1 fsid=$2 id=$3 addr=$4 tmp=$5 user=$6 group=$7 mon_dir=$8

monmaptool --create --fsid "$fsid" --addv "$id" "[v2:$addr:3300,v1:$addr:6789]" --clobber "$tmp/monmap"
ceph-mon --cluster "$cluster" --mkfs -i "$id" --monmap "$tmp/monmap" \
  --keyring "$tmp/$cluster.mon.keyring" --setuser "$user" --setgroup "$group"
touch "$mon_dir/done"
chown "$user:$group" "$mon_dir/done"
