{#- Runs before anything else in the run (order 1) and stops it on a bad pillar (failhard).
    The schema is rendered here, and under salt-ssh the data too (rendered on the master), so
    the check works the same on hosts that have neither the formula files nor our pillar in
    their modules. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- import_yaml tplroot ~ '/schema.yaml' as schema %}
ironic-pillar-schema-validated:
  pillar_schema.validated:
    - name: ironic
    - schema: {{ schema | json }}
{%- if opts.get('__master_opts__') %}
    {#- salt-ssh: rendered on the master, and the target's modules see no pillar. On a minion
        the state reads its own pillar, so the rendered SLS carries none of its secrets. #}
    - data: {{ salt['pillar.get']('ironic', {}) | json }}
{%- endif %}
    - order: 1
    - failhard: True

{#- node_secrets for a node that is not in ironic:nodes would be silently dropped. #}
{%- set node_names = salt['pillar.get']('ironic:nodes', []) | map(attribute='name') | list %}
{%- set unknown = [] %}
{%- for name in salt['pillar.get']('ironic:node_secrets', {}) if name not in node_names %}
{%-   do unknown.append('ironic:node_secrets:' ~ name) %}
{%- endfor %}
{%- if unknown %}

ironic-pillar-node-secrets-match-nodes:
  test.fail_without_changes:
    - name: "{{ unknown | join(', ') }}: no node of that name in ironic:nodes; nothing was changed"
    - order: 1
    - failhard: True
{%- endif %}
