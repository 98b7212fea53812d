{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard).
    Schema and data are rendered here, on the master under salt-ssh, so the check works the
    same on hosts that have neither the formula files nor our pillar in their modules. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ '/schema.yaml' as schema %}
host-pillar-schema-validated:
  pillar_schema.validated:
    - name: host
    - schema: {{ schema | json }}
    - data: {{ salt['pillar.get']('host', {}) | json }}
    - order: 1
    - failhard: True
