{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate

{#- Values are passed as arguments: under salt-ssh, custom modules see no pillar. #}
{%- set release = salt['stacksalt_release.describe'](
      site=salt['pillar.get']('site:name', 'unnamed'),
      roles=salt['pillar.get']('roles', [])) %}

host-release-file-managed:
  file.serialize:
    - name: {{ settings.release_file }}
    - serializer: yaml
    - makedirs: True
    - mode: '0644'
    - dataset: {{ release | json }}
    - require:
      - pillar_schema: host-pillar-schema-validated
