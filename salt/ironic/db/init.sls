{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{#- Salt's cmd.run runs its command through a shell: each value is quoted, the line is a YAML
    string, and the database path reaches the Python check as an argument. #}
{#- As Ironic's user through runuser, not the state's `runas`: Salt runs the `unless` check as
    that user too, and where the user does not exist yet (test=True on a fresh host) the failing
    check counts as true, so the plan would call a schema that is not there present. #}
{%- set dbsync = ['runuser', '-u', settings.user, '--', settings.bin_dir ~ '/ironic-dbsync', '--config-file', settings.config_dir ~ '/ironic.conf'] %}
{%- set schema_check = [settings.install.python, '-c',
      'import sqlite3, sys; db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True); '
      ~ 'sys.exit("alembic_version" not in [row[0] for row in db.execute("SELECT name FROM sqlite_master")])',
      settings.database.connection[10:]] %}
{%- set sqlite = settings.database.connection.startswith('sqlite:///') %}
include:
  - {{ tplroot }}.config

{#- SQLite: a new database gets the whole schema at once (migrations do not run on SQLite);
    other databases are upgraded whenever Ironic is installed or updated. #}
ironic-db-synced:
  cmd.run:
{%- if sqlite %}
    - name: {{ (dbsync + ['create_schema']) | map('quote') | join(' ') | json }}
    {#- not `creates`: a service started by the package may create an empty file first #}
    - unless: {{ schema_check | map('quote') | join(' ') | json }}
{%- else %}
    - name: {{ (dbsync + ['upgrade']) | map('quote') | join(' ') | json }}
    - onchanges:
{%-   if settings.install.method == 'pip' %}
      - cmd: ironic-install-pip-installed
{%-   else %}
      - pkg: ironic-install-pkgs-installed
{%-   endif %}
{%- endif %}
    - require:
      - file: ironic-config-file-managed
{%- if sqlite %}

{#- The database holds the nodes' BMC credentials: readable by Ironic only (the service
    creates the file with its umask, world-readable). #}
ironic-db-file-closed:
  file.managed:
    - name: {{ settings.database.connection[10:] | json }}
    - replace: False
    - user: {{ settings.user | json }}
    - group: {{ settings.group | json }}
    - mode: '0600'
    - require:
      - cmd: ironic-db-synced
{%- endif %}
