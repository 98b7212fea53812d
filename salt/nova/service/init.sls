{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.config

nova-service-unit-managed:
  file.managed:
    - name: {{ settings.unit_dir }}/nova-compute.service
    - source: salt://{{ tplroot }}/files/nova-compute.service.jinja
    - template: jinja
    - mode: '0644'
    - context:
        settings: {{ {'user': settings.user, 'group': settings.group, 'compute_cmd': settings.compute_cmd,
                      'config_dir': settings.config_dir, 'state_dir': settings.state_dir} | json }}
    - require:
      - sls: {{ tplroot }}.install
  module.run:
    - service.systemctl_reload: []
    - onchanges:
      - file: nova-service-unit-managed

{#- Enabled apart from running: a service.running that itself changes something (enabling)
    skips its watch restart. #}
nova-service-compute-enabled:
  service.enabled:
    - name: nova-compute
    - require:
      - module: nova-service-unit-managed

nova-service-compute-running:
  service.running:
    - name: nova-compute
    - watch:
      - file: nova-config-file-managed
      - file: nova-service-unit-managed
    - require:
      - service: nova-service-compute-enabled
{%- if settings.compute.driver != 'ironic' %}
      - file: nova-config-node-identity-managed
{%- endif %}
{%- for aggregate in settings.compute.aggregates %}

{#- The aggregate exists with its metadata from the cloud-admin host (openstack.aggregates); the
    host joins it itself, after its service has registered: in the same highstate the two hosts
    are not ordered, and retrying here waits for Nova to list this host. #}
nova-compute-in-aggregate-{{ aggregate }}:
  openstack_aggregate.present:
    - name: {{ aggregate | json }}
    - hosts: [{{ settings.compute.host | json }}]
    - purge_hosts: False
    - await_hosts: True
    - cloud: {{ settings.cloud | json }}
    - pillar_key: nova:compute:aggregates
    - retry:
        attempts: 18
        interval: 10
    - require:
      - service: nova-service-compute-running
{%- endfor %}
