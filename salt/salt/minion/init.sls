{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - .config
  - .service
{%- if settings.minion.heal.canary %}
  - .canary
{%- endif %}
