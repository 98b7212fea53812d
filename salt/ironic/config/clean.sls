{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
ironic-config-file-absent:
  file.absent:
    - name: {{ settings.config_dir }}/ironic.conf
