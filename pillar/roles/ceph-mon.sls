# Pillar for hosts with the ceph-mon role (filled in by the formula that serves it).
{}
