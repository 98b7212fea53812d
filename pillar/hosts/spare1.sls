{#- spare1: an accepted minion with no role beyond being one (a fresh host waiting for its
    role). It holds no secrets, so tests/lab/test_70_hostile.py attacks the site from it, as a
    compromised host with the least a host can have. It runs stacksalt's modules from the
    installed wheel, never from a sync (the lab installs the wheel before its first boot). #}
{%- set roles = ['salt-minion'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}

salt:
  minion:
    modules_from: wheel
