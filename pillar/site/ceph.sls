# The Ceph cluster's identity: what every host with a ceph component (daemon or client) needs.
# No secrets here; keys come from each host's own secrets file.
# The monitors are the hosts whose host file gives them role ceph-mon; their addresses come from
# the Salt mine (the ceph formula resolves them): adding or moving a mon is a role change alone.
{%- import 'site/roles.jinja' as site_roles with context %}
ceph:
  cluster: ceph
  fsid: 9c4a1f0e-5b2d-4e8a-8f3b-6d1e2a7c9b40
  public_network: 10.89.50.0/24
  mons: {{ site_roles.hosts_with('ceph-mon') }}
  config:
    global:
      osd pool default size: 3
      osd pool default min size: 2
      mon allow pool delete: false
    mon:
      # Lab hosts share the machine's disk: don't warn about its free space.
      mon data avail warn: 5
