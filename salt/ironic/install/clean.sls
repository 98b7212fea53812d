{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.service.clean

{%- if settings.install.method == 'pip' %}
ironic-install-venv-absent:
  file.absent:
    - names:
      - {{ settings.install.venv }}
      - {{ settings.install.venv }}-constraints.txt
    - require:
      - sls: {{ tplroot }}.service.clean
{%- else %}
ironic-install-pkgs-removed:
  pkg.removed:
    - pkgs: {{ settings.install.pkgs | json }}
    - require:
      - sls: {{ tplroot }}.service.clean
{%- endif %}
