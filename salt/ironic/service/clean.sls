{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for svc in settings.service_names %}

ironic-service-{{ svc }}-dead:
  service.dead:
    - name: {{ svc }}
    - enable: False
{%- endfor %}

ironic-service-unit-absent:
  file.absent:
{%- if settings.install.method == 'pip' %}
    - name: {{ settings.unit_dir }}/ironic.service
{%- else %}
    - name: {{ settings.unit_dir }}/ironic-api.service.d/stacksalt.conf
{%- endif %}
    - require:
{%- for svc in settings.service_names %}
      - service: ironic-service-{{ svc }}-dead
{%- endfor %}
  module.run:
    - service.systemctl_reload: []
    - onchanges:
      - file: ironic-service-unit-absent


ironic-service-waiter-absent:
  file.absent:
    - name: {{ settings.libexec_dir }}/ironic-drivers-registered
