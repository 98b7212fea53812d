# Pillar for hosts with the compute role (filled in by the formula that serves it).
{}
