{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set minion = settings.minion %}
include:
  - .config

{%- if settings.install.method == 'pip' %}

salt-minion-unit-managed:
  file.managed:
    - name: {{ (settings.unit_dir ~ '/' ~ minion.service ~ '.service') | json }}
    - source: salt://{{ tplroot }}/files/salt.service.jinja
    - template: jinja
    - mode: '0644'
    - context:
        role: minion
        program: salt-minion
        bin_dir: {{ settings.bin_dir | json }}
        config_dir: {{ settings.config_dir | json }}
    - require:
      - pillar_schema: salt-pillar-schema-validated
  module.run:
    - service.systemctl_reload: []
    - onchanges:
      - file: salt-minion-unit-managed
{%- endif %}

# No `watch` here: restarting the minion from inside its own state run would kill the run.
salt-minion-service-running:
  service.running:
    - name: {{ minion.service | json }}
    - enable: True
    - require:
      - file: salt-minion-config-stacksalt-managed

# A changed config is picked up by a restart that a separate `salt-call` process performs
# once this run has finished its other states (order: last, in the background). With
# KillMode=process the running job outlives the restart and still returns its result.
salt-minion-service-restarted-after-run:
  cmd.run:
    {#- quoted values: Salt's cmd.run runs its command through a shell #}
    - name: {{ [settings.bin_dir ~ '/salt-call', '--local', '-c', settings.config_dir, 'service.restart', minion.service] | map('quote') | join(' ') | json }}
    - bg: True
    - order: last
    - onchanges:
      - file: salt-minion-config-stacksalt-managed
      - file: salt-minion-config-beacons-managed
      - file: salt-minion-config-extra-managed
{%- if settings.install.method == 'pip' %}
      - file: salt-minion-unit-managed
{%- endif %}
