{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate

{#- pkg: after the packages, whose maintainer scripts create the user and set their own
    owners on these directories (ours must be the last word, or every run changes them back) #}
ironic-install-group-present:
  group.present:
    - name: {{ settings.group }}
    - system: True
    - require:
      - pillar_schema: ironic-pillar-schema-validated
{%- if settings.install.method == 'pkg' %}
      - pkg: ironic-install-pkgs-installed
{%- endif %}

ironic-install-user-present:
  user.present:
    - name: {{ settings.user }}
    - gid: {{ settings.group }}
    - home: {{ settings.state_dir }}
    - createhome: False
    - shell: /usr/sbin/nologin
    - system: True
    - require:
      - group: ironic-install-group-present

ironic-install-dirs-managed:
  file.directory:
    - names:
      - {{ settings.state_dir }}
      - {{ settings.log_dir }}
      - {{ settings.ipxe.http_root }}
      - {{ settings.ipxe.tftp_root }}
    - user: {{ settings.user }}
    - group: {{ settings.group }}
    - mode: '0750'
    - makedirs: True
    - require:
      - user: ironic-install-user-present

{%- if settings.install.method == 'pip' %}

ironic-install-build-pkgs-installed:
  pkg.installed:
    - pkgs: {{ settings.install.build_pkgs | json }}
    - require:
      - pillar_schema: ironic-pillar-schema-validated

ironic-install-constraints-managed:
  file.managed:
    - name: {{ settings.install.venv }}-constraints.txt
    - source: salt://{{ tplroot }}/files/constraints.txt
    - mode: '0644'
    - require:
      - pillar_schema: ironic-pillar-schema-validated

{#- Salt's cmd.run runs its command through a shell: each value is quoted (quote), the line
    is a YAML string (json), and values reach Python code as arguments, never inside it. #}
{%- set venv = settings.install.venv %}
{%- set version = settings.install.version | string %}
{%- set venv_cmd = [settings.install.python, '-m', 'venv', venv] %}
{%- set pip_cmd = [venv ~ '/bin/pip', 'install', '-q', '-c', venv ~ '-constraints.txt', 'ironic==' ~ version] %}
{%- set pip_check = [venv ~ '/bin/python', '-c',
      'import importlib.metadata as m, sys; sys.exit(m.version("ironic") != sys.argv[1])', version] %}
ironic-install-venv-created:
  cmd.run:
    - name: {{ venv_cmd | map('quote') | join(' ') | json }}
    - creates: {{ (venv ~ '/bin/pip') | json }}
    - require:
      - pkg: ironic-install-build-pkgs-installed

ironic-install-pip-installed:
  cmd.run:
    - name: {{ pip_cmd | map('quote') | join(' ') | json }}
    - unless: {{ pip_check | map('quote') | join(' ') | json }}
    - require:
      - cmd: ironic-install-venv-created
      - file: ironic-install-constraints-managed
{%- else %}

ironic-install-pkgs-installed:
  pkg.installed:
{%-   set conn = settings.database.connection %}
{%-   set mysql = conn is mapping or conn.startswith('mysql') %}
    - pkgs: {{ (settings.install.pkgs + (settings.install.mysql_pkgs if mysql else [])) | json }}
    - install_recommends: {{ settings.install.recommends }}
    - require:
      - pillar_schema: ironic-pillar-schema-validated
{%- endif %}
