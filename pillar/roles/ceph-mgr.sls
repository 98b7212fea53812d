# Pillar for hosts with the ceph-mgr role (filled in by the formula that serves it).
{}
