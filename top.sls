{#- State top file: formulas by role. A minion's roles come from its pillar (`roles: [...]`),
    so adding a host or giving it a role is a pillar change, never a change here.
    Each role maps to the formula components it needs; every minion-managed host gets
    `salt.minion` through the `salt-minion` role. The ceph formula picks its components
    (mon, mgr, osd, pools, keyrings, client) from the pillar each role file sets. #}
{%- set role_states = {
    'salt-master': ['salt.master', 'salt.ssh'],
    'cloud-admin': ['openstack', 'ceph'],
    'salt-minion': ['host', 'salt.minion'],
    'edge': ['host'],
    'ironic': ['ironic'],
    'nova-compute': ['nova'],
    'ceph-mon': ['ceph'],
    'ceph-mgr': ['ceph'],
    'ceph-osd': ['ceph'],
    'compute': ['ceph'],
    'openstack-cloud': ['ceph', 'mariadb'],
} %}
base:
{%- for role, states in role_states | dictsort %}
  'I@roles:{{ role }}':
    - match: compound
  {%- for state in states %}
    - {{ state }}
  {%- endfor %}
{%- endfor %}
