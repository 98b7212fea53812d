{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard).
    Schema and data are rendered here, on the master under salt-ssh, so the check works the
    same on hosts that have neither the formula files nor our pillar in their modules. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ '/schema.yaml' as schema %}
ironic-pillar-schema-validated:
  pillar_schema.validated:
    - name: ironic
    - schema: {{ schema | json }}
    - data: {{ salt['pillar.get']('ironic', {}) | json }}
    - order: 1
    - failhard: True
