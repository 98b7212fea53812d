{#- Neutron networks from pillar `openstack:networks:<name>`, each with its `subnets`. Provider
    attributes and a subnet's cidr cannot change in place: a difference fails unless the
    network or subnet sets `recreate: true`. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate
{%- for name, network in settings.networks | dictsort %}

openstack-network-{{ name }}-present:
  openstack_network.present:
    - name: {{ name | json }}
{%-   for key, value in network | dictsort if key != 'subnets' %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - pillar_key: {{ ('openstack:networks:' ~ name) | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%-   for subnet, spec in network.get('subnets', {}) | dictsort %}

openstack-network-{{ name }}-subnet-{{ subnet }}-present:
  openstack_network.subnet_present:
    - name: {{ subnet | json }}
    - network: {{ name | json }}
{%-     for key, value in spec | dictsort %}
    - {{ key }}: {{ value | json }}
{%-     endfor %}
    - pillar_key: {{ ('openstack:networks:' ~ name ~ ':subnets:' ~ subnet) | json }}
{%-     if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-     endif %}
    - require:
      - openstack_network: openstack-network-{{ name }}-present
{%-   endfor %}
{%- endfor %}
