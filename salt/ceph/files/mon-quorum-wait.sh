#!/bin/sh
# mon-quorum-wait.sh SECONDS CEPH_COMMAND...
# Waits up to SECONDS for `CEPH_COMMAND... quorum_status` to succeed (exit 1 if it never does).
# Managed by Salt (ceph formula). Values come as arguments, never through a shell.
set -eu
seconds=$1
shift
deadline=$(($(date +%s) + seconds))
until "$@" quorum_status >/dev/null 2>&1; do
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "mon-quorum-wait: no quorum after $seconds s" >&2
    exit 1
  fi
  sleep 1
done
