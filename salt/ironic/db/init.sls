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
    {#- not `creates`: a service started by the package may create an empty file first #}
    - unless: >-
        {{ settings.install.python }} -c "import sqlite3, sys;
        db = sqlite3.connect('file:{{ settings.database.connection[10:] }}?mode=ro', uri=True);
        sys.exit('alembic_version' not in [row[0] for row in db.execute('SELECT name FROM sqlite_master')])"
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
