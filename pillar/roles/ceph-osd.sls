# Pillar for hosts with the ceph-osd role (filled in by the formula that serves it).
{}
