{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.service.clean
{%- if settings.install.method == 'pkg' %}

nova-install-pkgs-removed:
  pkg.removed:
    - pkgs: {{ settings.install.pkgs | json }}
    - require:
      - sls: {{ tplroot }}.service.clean
{%- endif %}
