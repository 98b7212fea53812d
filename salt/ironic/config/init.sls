{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.install

ironic-config-dir-managed:
  file.directory:
    - name: {{ settings.config_dir }}
    - user: root
    - group: {{ settings.group }}
    - mode: '0750'
    - require:
      - sls: {{ tplroot }}.install

ironic-config-file-managed:
  file.managed:
    - name: {{ settings.config_dir }}/ironic.conf
    - source: salt://{{ tplroot }}/files/ironic.conf.jinja
    - template: jinja
    - user: root
    - group: {{ settings.group }}
    - mode: '0640'
    - context:
        settings: {{ settings | json }}
    - require:
      - file: ironic-config-dir-managed
