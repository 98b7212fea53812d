{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set dbsync = settings.bin_dir ~ '/ironic-dbsync --config-file ' ~ settings.config_dir ~ '/ironic.conf' %}
{%- set sqlite = settings.database.connection.startswith('sqlite:///') %}
include:
  - {{ tplroot }}.config

{#- SQLite: a new database gets the whole schema at once (migrations do not run on SQLite);
    other databases are upgraded whenever Ironic is installed or updated. #}
ironic-db-synced:
  cmd.run:
{%- if sqlite %}
    - name: {{ dbsync }} create_schema
    - creates: {{ settings.database.connection[10:] }}
{%- else %}
    - name: {{ dbsync }} upgrade
    - onchanges:
{%-   if settings.install.method == 'pip' %}
      - cmd: ironic-install-pip-installed
{%-   else %}
      - pkg: ironic-install-pkgs-installed
{%-   endif %}
{%- endif %}
    - runas: {{ settings.user }}
    - require:
      - file: ironic-config-file-managed
