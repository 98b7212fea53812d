{#- Deletes the pools and all their data (the monitors' runtime mon_allow_pool_delete is set
    first, by ceph_pool.remove). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.pools['items'] | sort %}

ceph-pools-{{ name }}-absent:
  ceph_pool.absent:
    - name: {{ name | json }}
    - conf: {{ settings.conf_file | json }}
    - keyring: {{ settings.admin_keyring | json }}
    - cluster: {{ settings.cluster | json }}
{%- endfor %}
