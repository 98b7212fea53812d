{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.service

{%- if settings.nodes %}
{#- The BMC secrets (`ironic:node_secrets`) stay out of the rendered SLS (state.show_sls, the
    job cache): map.jinja merged them into driver_info, so they are taken out again here and
    the state reads them from this minion's pillar by key (`secrets_pillar`). #}
{%-   set nodes = [] %}
{%-   for node in settings.nodes %}
{%-     set secret_keys = settings.node_secrets.get(node.get('name'), {}) %}
{%-     if secret_keys %}
{%-       set entry = dict(node) %}
{%-       set driver_info = {} %}
{%-       for key, value in node.get('driver_info', {}).items() if key not in secret_keys %}
{%-         do driver_info.update({key: value}) %}
{%-       endfor %}
{%-       do entry.update({'driver_info': driver_info}) %}
{%-       do nodes.append(entry) %}
{%-     else %}
{%-       do nodes.append(node) %}
{%-     endif %}
{%-   endfor %}

ironic-nodes-enrolled:
  ironic_node.enrolled:
    - nodes: {{ nodes | json }}
    - pillar_key: ironic:nodes
    - secrets_pillar: ironic:node_secrets
{%- if settings.nodes_cloud %}
    - cloud: {{ settings.nodes_cloud }}
{%- endif %}
    - max_concurrent_clean: {{ settings.conductor.max_concurrent_clean }}
{%- if settings.nodes_timeout %}
    - timeout: {{ settings.nodes_timeout }}
{%- endif %}
{%- if settings.nodes_await_images.attempts > 1 %}
    - await_images: True
    - retry:
        attempts: {{ settings.nodes_await_images.attempts }}
        interval: {{ settings.nodes_await_images.interval }}
{%- endif %}
    - require:
      - cmd: ironic-service-drivers-registered
{%- endif %}
