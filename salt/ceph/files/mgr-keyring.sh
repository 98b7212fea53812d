#!/bin/sh
# mgr-keyring.sh ID KEYRING USER GROUP CEPH_COMMAND...
# Gets (or creates) the cephx key of mgr.ID into KEYRING, owned by USER:GROUP, mode 0600. The
# file appears only when complete (the state's `creates`): written under umask 077 to a
# temporary name, then renamed. Managed by Salt (ceph formula). Values come as arguments,
# never through a shell.
set -eu
id=$1 keyring=$2 user=$3 group=$4
shift 4
umask 077
"$@" auth get-or-create "mgr.$id" mon 'allow profile mgr' osd 'allow *' mds 'allow *' -o "$keyring.tmp"
chown "$user:$group" "$keyring.tmp"
mv -f "$keyring.tmp" "$keyring"
