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
    - require:
      - file: salt-minion-config-dir-managed

salt-minion-config-beacons-managed:
  file.serialize:
    - name: {{ conf_d }}/20-beacons.conf
    - serializer: yaml
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0640'
    - dataset:
        beacons: {{ minion.beacons | json }}
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
