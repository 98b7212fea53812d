{#- Deletes the networks the pillar lists, with their subnets (refused while ports use them). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name, network in settings.networks | dictsort %}

openstack-network-{{ name }}-absent:
  openstack_network.absent:
    - name: {{ name | json }}
{%-   if network.get('project') %}
    - project: {{ network.project | json }}
{%-   endif %}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
{%- endfor %}
