{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.db

{%- if settings.install.method == 'pip' %}

ironic-service-unit-managed:
  file.managed:
    - name: {{ settings.unit_dir }}/ironic.service
    - source: salt://{{ tplroot }}/files/ironic.service.jinja
    - template: jinja
    - mode: '0644'
    - context:
        settings: {{ settings | json }}
    - require:
      - cmd: ironic-db-synced
  module.run:
    - service.systemctl_reload: []
    - onchanges:
      - file: ironic-service-unit-managed
{%- endif %}

{%- for svc in settings.service_names %}

ironic-service-{{ svc }}-running:
  service.running:
    - name: {{ svc }}
    - enable: True
    - watch:
      - file: ironic-config-file-managed
{%- if settings.install.method == 'pip' %}
      - file: ironic-service-unit-managed
{%- endif %}
    - require:
      - cmd: ironic-db-synced
{%- endfor %}

{#- The API answers and the conductor has registered its hardware types. #}
ironic-service-drivers-registered:
  http.wait_for_successful_query:
    - name: http://127.0.0.1:{{ settings.api.port }}/v1/drivers
    - match: '"{{ settings.enabled_hardware_types[0] }}"'
    - wait_for: 120
    - request_interval: 1
    - header_dict:
        X-OpenStack-Ironic-API-Version: "1.78"
    - require:
{%- for svc in settings.service_names %}
      - service: ironic-service-{{ svc }}-running
{%- endfor %}
