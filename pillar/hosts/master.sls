{%- set roles = ['salt-master', 'salt-minion', 'cloud-admin'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}
