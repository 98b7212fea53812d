{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.service.clean

nova-config-file-absent:
  file.absent:
    - name: {{ settings.config_dir }}/nova.conf
    - require:
      - sls: {{ tplroot }}.service.clean
