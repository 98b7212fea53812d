{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set master = settings.master %}

salt-master-service-dead:
  service.dead:
    - name: {{ master.service }}
    - enable: False

{%- for conf in ['10-stacksalt', '20-reactor', '90-extra'] %}

salt-master-config-{{ conf }}-absent:
  file.absent:
    - name: {{ master.config_dir }}/master.d/{{ conf }}.conf
    - require:
      - service: salt-master-service-dead
{%- endfor %}

salt-master-keys-allowed-file-absent:
  file.absent:
    - name: {{ settings.master['keys'].allowed_file }}
    - require:
      - service: salt-master-service-dead
{%- if settings.install.method == 'pip' %}

salt-master-unit-absent:
  file.absent:
    - name: {{ settings.unit_dir }}/{{ master.service }}.service
    - require:
      - service: salt-master-service-dead
{%- endif %}

salt-master-fileserver-view-absent:
  file.absent:
    - name: {{ master.served_root }}
    - require:
      - service: salt-master-service-dead
