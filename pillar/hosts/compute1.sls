{%- set roles = ['salt-minion', 'compute', 'nova-compute'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}
