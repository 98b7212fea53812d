{#- edge1 has no minion: it is managed with salt-ssh from the master (roster in
    roles/salt-master.sls). Its pillar is compiled by the master for salt-ssh runs. #}
{%- set roles = ['edge'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}
