{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set minion = settings.minion %}

salt-minion-canary-service-dead:
  service.dead:
    - name: stacksalt-canary
    - enable: False

salt-minion-canary-unit-absent:
  file.absent:
    - name: {{ (settings.unit_dir ~ '/stacksalt-canary.service') | json }}
    - require:
      - service: salt-minion-canary-service-dead

{%- for conf in ['10-stacksalt', '20-beacons', '90-extra'] %}

salt-minion-config-{{ conf }}-absent:
  file.absent:
    - name: {{ (settings.config_dir ~ '/minion.d/' ~ conf ~ '.conf') | json }}
{%- endfor %}

# Stopping the minion ends its ability to be managed: done last, by a separate process,
# and only in the run that removed its configuration (a second clean changes nothing).
salt-minion-service-stopped-after-run:
  cmd.run:
    {#- quoted values: Salt's cmd.run runs its command through a shell #}
    - name: {{ [settings.bin_dir ~ '/salt-call', '--local', '-c', settings.config_dir, 'service.disable', minion.service] | map('quote') | join(' ') | json }}
    - bg: True
    - order: last
    - onchanges:
      - file: salt-minion-config-10-stacksalt-absent
