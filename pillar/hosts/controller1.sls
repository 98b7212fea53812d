{%- set roles = ['salt-minion', 'openstack-cloud'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}
