{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for svc in settings.service_names %}

ironic-service-{{ svc }}-dead:
  service.dead:
    - name: {{ svc }}
    - enable: False
{%- endfor %}
{%- if settings.install.method == 'pip' %}

ironic-service-unit-absent:
  file.absent:
    - name: {{ settings.unit_dir }}/ironic.service
    - require:
{%- for svc in settings.service_names %}
      - service: ironic-service-{{ svc }}-dead
{%- endfor %}
{%- endif %}
