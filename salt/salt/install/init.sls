{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set install = settings.install %}
include:
  - {{ tplroot }}.validate

{%- if install.method == 'pip' %}

salt-install-venv-created:
  cmd.run:
    - name: {{ install.python }} -m venv {{ install.venv }}
    - creates: {{ install.venv }}/bin/python
    - require:
      - pillar_schema: salt-pillar-schema-validated

salt-install-pip-package-installed:
  cmd.run:
    - name: >-
        {{ install.venv }}/bin/pip install --disable-pip-version-check -q
        {%- if install.no_index %} --no-index{% endif %}
        {%- if install.find_links %} --find-links {{ install.find_links }}{% endif %}
        salt=={{ settings.version }}
    # "installed" means this exact version imports from the venv
    - unless:
      - {{ install.venv }}/bin/python -c "import importlib.metadata as m, sys; sys.exit(m.version('salt') != '{{ settings.version }}')"
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
