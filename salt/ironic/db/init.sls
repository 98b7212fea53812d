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
      settings.database.connection[10:] if settings.database.connection is string else ''] %}
{%- set sqlite = settings.database.connection is string and settings.database.connection.startswith('sqlite:///') %}
{%- set at_head = settings.libexec_dir ~ '/ironic-db-at-head' %}
{%- set at_head_cmd = [settings.install.python, at_head, settings.config_dir ~ '/ironic.conf'] %}
include:
  - {{ tplroot }}.config
{%- if not sqlite %}

ironic-db-check-managed:
  file.managed:
    - name: {{ at_head }}
    - source: salt://{{ tplroot }}/files/db-at-head.py
    - mode: '0755'
    - makedirs: True
{%- endif %}

{#- SQLite: a new database gets the whole schema at once (migrations do not run on SQLite).
    Other databases (the site's MariaDB, made by another host's highstate, maybe at this very
    moment): upgraded unless the schema is at the head of Ironic's migrations; a database not
    reachable yet is waited for (ironic:database_await: Salt's retry), then the failure names
    what is missing. #}
ironic-db-synced:
  cmd.run:
{%- if sqlite %}
    - name: {{ (dbsync + ['create_schema']) | map('quote') | join(' ') | json }}
    {#- not `creates`: a service started by the package may create an empty file first #}
    - unless: {{ schema_check | map('quote') | join(' ') | json }}
{%- else %}
    - name: {{ (['runuser', '-u', settings.user, '--'] + at_head_cmd + ['--upgrade', settings.bin_dir ~ '/ironic-dbsync']) | map('quote') | join(' ') | json }}
    - unless: {{ at_head_cmd | map('quote') | join(' ') | json }}
    - retry:
        attempts: {{ settings.database_await.attempts }}
        interval: {{ settings.database_await.interval }}
        until: True
{%- endif %}
    - require:
      - file: ironic-config-file-managed
{%- if not sqlite %}
      - file: ironic-db-check-managed
{%- endif %}
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
