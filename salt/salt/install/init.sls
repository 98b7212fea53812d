{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set install = settings.install %}
include:
  - {{ tplroot }}.validate

{%- if install.method == 'pip' %}

{#- Salt's cmd.run runs its command through a shell: each value is quoted (quote), the line
    is a YAML string (json), and values reach Python code as arguments, never inside it. #}
{%- set version = settings.version | string %}
{%- set pip_cmd = [install.venv ~ '/bin/pip', 'install', '--disable-pip-version-check', '-q'] %}
{%- if install.no_index %}{% do pip_cmd.append('--no-index') %}{% endif %}
{%- if install.find_links %}{% do pip_cmd.extend(['--find-links', install.find_links]) %}{% endif %}
{%- do pip_cmd.append('salt==' ~ version) %}
{%- set pip_check = [install.venv ~ '/bin/python', '-c',
      'import importlib.metadata as m, sys; sys.exit(m.version("salt") != sys.argv[1])', version] %}
salt-install-venv-created:
  cmd.run:
    - name: {{ [install.python, '-m', 'venv', install.venv] | map('quote') | join(' ') | json }}
    - creates: {{ (install.venv ~ '/bin/python') | json }}
    - require:
      - pillar_schema: salt-pillar-schema-validated

salt-install-pip-package-installed:
  cmd.run:
    - name: {{ pip_cmd | map('quote') | join(' ') | json }}
    # "installed" means this exact version imports from the venv
    - unless:
      - {{ pip_check | map('quote') | join(' ') | json }}
    - require:
      - cmd: salt-install-venv-created

{%- for program in ['salt-call', 'salt-minion', 'salt-master', 'salt-key', 'salt-ssh', 'salt-run', 'salt'] %}

salt-install-{{ program }}-linked:
  file.symlink:
    - name: /usr/local/bin/{{ program }}
    - target: {{ install.venv }}/bin/{{ program }}
    - require:
      - cmd: salt-install-pip-package-installed
{%- endfor %}

{%- elif install.method == 'pkg' %}

salt-install-packages-installed:
  pkg.installed:
    - pkgs:
      - {{ install.pkgs.minion }}
      - {{ install.pkgs.ssh }}
    - require:
      - pillar_schema: salt-pillar-schema-validated

{%- else %}

# Nothing to install: fail loudly if the promised Salt is not where the settings say.
salt-install-preinstalled-checked:
  file.exists:
    - name: {{ settings.bin_dir }}/salt-call
    - require:
      - pillar_schema: salt-pillar-schema-validated
{%- endif %}
