{%- set roles = ['salt-minion', 'ceph-mon', 'ceph-mgr', 'ceph-osd'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}
