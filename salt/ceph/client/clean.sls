{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.client.keyrings %}
ceph-client-{{ name }}-keyring-absent:
  file.absent:
    - name: {{ settings.conf_dir }}/{{ settings.cluster }}.client.{{ name }}.keyring
{%- endfor %}

ceph-client-admin-keyring-absent:
  file.absent:
    - name: {{ settings.admin_keyring }}

ceph-client-conf-absent:
  file.absent:
    - name: {{ settings.conf_file }}
