{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard).
    The states check flavor extra specs and image properties in depth themselves, before any
    API call; the schema checks the shape (names, types, required keys). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ '/schema.yaml' as schema %}
openstack-pillar-schema-validated:
  pillar_schema.validated:
    - name: openstack
    - schema: {{ schema | json }}
    - data: {{ salt['pillar.get']('openstack', {}) | json }}
    - order: 1
    - failhard: True
