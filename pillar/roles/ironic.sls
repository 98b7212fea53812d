# Pillar for hosts with the ironic role (filled in by the formula that serves it).
{}
