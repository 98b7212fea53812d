# Secrets of the host `ceph3` only (an OSD host: the bootstrap-osd key and nothing else).
# CLEARLY FAKE demo key for the lab: generate your own with `ceph-authtool --gen-print-key`.
ceph:
  keys:
    bootstrap_osd: AQDqTQdrjg6WExAArO5Gv29z4DsonpPjR4k9EQ==
