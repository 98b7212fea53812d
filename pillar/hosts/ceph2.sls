{%- set roles = ['salt-minion', 'ceph-osd'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}
