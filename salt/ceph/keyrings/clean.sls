{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.keyrings.clients | sort %}
ceph-keyrings-client-{{ name }}-absent:
  ceph_auth.absent:
    - name: client.{{ name }}
    - conf: {{ settings.conf_file }}
    - keyring: {{ settings.admin_keyring }}
    - cluster: {{ settings.cluster }}
{%- endfor %}
