{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set unit = {
    'pip': {'path': settings.unit_dir ~ '/ironic.service', 'source': 'ironic.service.jinja'},
    'pkg': {'path': settings.unit_dir ~ '/ironic-api.service.d/stacksalt.conf', 'source': 'ironic-api.dropin.jinja'},
}[settings.install.method] %}
include:
  - {{ tplroot }}.db

{#- pip: the unit of the one `ironic` process; pkg: a drop-in for Debian's ironic-api unit #}
ironic-service-unit-managed:
  file.managed:
    - name: {{ unit.path }}
    - source: salt://{{ tplroot }}/files/{{ unit.source }}
    - template: jinja
    - mode: '0644'
    - makedirs: True
    - context:
        settings: {{ {'install': settings.install, 'user': settings.user, 'group': settings.group,
                      'bin_dir': settings.bin_dir, 'config_dir': settings.config_dir,
                      'api': settings.api} | json }}
    - require:
      - cmd: ironic-db-synced
  module.run:
    - service.systemctl_reload: []
    - onchanges:
      - file: ironic-service-unit-managed

{%- for svc in settings.service_names %}

{#- Enabled apart from running: a service.running that itself changes something (enabling)
    skips its watch restart, and Debian's packages start the services with their own config. #}
ironic-service-{{ svc }}-enabled:
  service.enabled:
    - name: {{ svc }}
    - require:
      - cmd: ironic-db-synced

ironic-service-{{ svc }}-running:
  service.running:
    - name: {{ svc }}
    - watch:
      - file: ironic-config-file-managed
      - file: ironic-service-unit-managed
    - require:
      - cmd: ironic-db-synced
      - module: ironic-service-unit-managed
      - service: ironic-service-{{ svc }}-enabled
{%- endfor %}

{#- The API answers and the conductor has registered every enabled hardware type. A command
    with `unless` rather than http.wait_for_successful_query, which always returns None under
    test=True and so would report a converged host as pending. #}
{%- set waiter = settings.libexec_dir ~ '/ironic-drivers-registered' %}
ironic-service-waiter-managed:
  file.managed:
    - name: {{ waiter }}
    - source: salt://{{ tplroot }}/files/drivers-registered.py
    - mode: '0755'
    - makedirs: True

{#- Salt's cmd.run runs its command through a shell: each value is quoted, the line is a YAML string. #}
{%- set waiter_cmd = [settings.install.python, waiter, '--config', settings.config_dir ~ '/ironic.conf', 'http://127.0.0.1:' ~ settings.api.port] %}
ironic-service-drivers-registered:
  cmd.run:
    - name: {{ (waiter_cmd + ['120'] + settings.enabled_hardware_types) | map('string') | map('quote') | join(' ') | json }}
    - unless: {{ (waiter_cmd + ['0'] + settings.enabled_hardware_types) | map('string') | map('quote') | join(' ') | json }}
    - require:
      - file: ironic-service-waiter-managed
{%- for svc in settings.service_names %}
      - service: ironic-service-{{ svc }}-running
{%- endfor %}
