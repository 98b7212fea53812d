{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set master = settings.master %}
include:
  - .config

{%- if settings.install.method == 'pip' %}

salt-master-unit-managed:
  file.managed:
    - name: {{ settings.unit_dir }}/{{ master.service }}.service
    - source: salt://{{ tplroot }}/files/salt.service.jinja
    - template: jinja
    - mode: '0644'
    - context:
        role: master
        program: salt-master
        bin_dir: {{ settings.bin_dir }}
        config_dir: {{ master.config_dir }}
    - require:
      - pillar_schema: salt-pillar-schema-validated
  module.run:
    - service.systemctl_reload: []
    - onchanges:
      - file: salt-master-unit-managed
{%- endif %}

# A master restart does not cut a minion's state run short: the minion resends its return.
salt-master-service-running:
  service.running:
    - name: {{ master.service }}
    - enable: True
    - watch:
      - file: salt-master-config-stacksalt-managed
      - file: salt-master-config-reactor-managed
      - file: salt-master-config-extra-managed
{%- if settings.install.method == 'pip' %}
      - file: salt-master-unit-managed
{%- endif %}
