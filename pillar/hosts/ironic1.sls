{%- set roles = ['salt-minion', 'ironic', 'nova-compute'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}
