{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
nova-service-compute-dead:
  service.dead:
    - name: nova-compute
    - enable: False

nova-service-unit-absent:
  file.absent:
    - name: {{ settings.unit_dir }}/nova-compute.service
    - require:
      - service: nova-service-compute-dead
  module.run:
    - service.systemctl_reload: []
    - onchanges:
      - file: nova-service-unit-absent
