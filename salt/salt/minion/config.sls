{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set minion = settings.minion %}
{%- set conf_d = settings.config_dir ~ '/minion.d' %}
include:
  - {{ tplroot }}.install

salt-minion-config-dir-managed:
  file.directory:
    - name: {{ conf_d }}
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0750'
    - makedirs: True
    - require:
      - pillar_schema: salt-pillar-schema-validated

salt-minion-config-stacksalt-managed:
  file.serialize:
    - name: {{ conf_d }}/10-stacksalt.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset:
        master: {{ minion.master | json }}
        master_port: {{ minion.master_port }}
        id: {{ grains.id }}
        # A denied key is retried, not fatal: when an impostor's key under this id was pending,
        # the master's key policy replaces it with this host's recorded key (docs/salt.md).
        rejected_retry: True
        # salt:minion:modules_from: a host that runs the stacksalt wheel syncs no modules
        autoload_dynamic_modules: {{ minion.modules_from != 'wheel' }}
    - require:
      - file: salt-minion-config-dir-managed

{#- The heal beacons, from salt:minion:heal. Services: an event every `interval` seconds
    while one is not running (level-triggered, so a heal lost to a master restart is retried).
    Files: inotify on their directories (editors and file.managed replace files by rename);
    the master's runner ignores paths the pillar does not declare. Both pause while a state
    runs, so a heal's own writes and restarts never trigger another heal. #}
{%- set heal = minion.heal %}
{%- set beacons = {} %}
{%- do beacons.update(minion.beacons) %}
{%- if heal.services %}
{%-   set watched = {} %}
{%-   for service in heal.services %}
{%-     set check = {'is_running_state': False} %}
{%-     do watched.update({service: check}) %}
{%-   endfor %}
{%-   do beacons.update({'stacksalt_heal_services': [
        {'beacon_module': 'service'},
        {'services': watched},
        {'interval': heal.interval},
        {'disable_during_state_run': True},
      ]}) %}
{%- endif %}
{%- if heal.files %}
{%-   set dirs = {} %}
{%-   set watch = {'mask': ['close_write', 'moved_to', 'delete', 'attrib']} %}
{%-   for path in heal.files %}
{%-     do dirs.update({salt['file.dirname'](path): watch}) %}
{%-   endfor %}
{%-   do beacons.update({'stacksalt_heal_files': [
        {'beacon_module': 'inotify'},
        {'files': dirs},
        {'coalesce': True},
        {'interval': 1},
        {'disable_during_state_run': True},
      ]}) %}
{%- endif %}

salt-minion-config-beacons-managed:
  file.serialize:
    - name: {{ conf_d }}/20-beacons.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset:
        beacons: {{ beacons | json }}
    - require:
      - file: salt-minion-config-dir-managed

salt-minion-config-extra-managed:
  file.serialize:
    - name: {{ conf_d }}/90-extra.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset: {{ minion.config | json }}
    - require:
      - file: salt-minion-config-dir-managed
