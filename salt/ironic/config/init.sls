{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{#- the template gets no node data: BMC secrets stay out of this state's arguments; nor the
    database URL from pillar (it may hold a password): the template reads that by key #}
{%- set conf = {} %}
{%- for key, value in settings.items() if key not in ('nodes', 'node_secrets', 'database') %}
{%-   do conf.update({key: value}) %}
{%- endfor %}
{%- if salt['pillar.get']('ironic:database:connection') %}
{%-   set database = {'pillar': 'ironic:database:connection'} %}
{%- else %}
{%-   set database = {'connection': settings.database.connection} %}
{%- endif %}
{%- do conf.update({'database': database}) %}
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
    {#- the file holds the database URL with its password: a diff (test=True included) would
        print it whenever a nearby line changes #}
    - show_changes: False
    - context:
        settings: {{ conf | json }}
    - require:
      - file: ironic-config-dir-managed
