{#- Deletes the flavors the pillar lists (instances keep their own copy of a flavor). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.flavors | sort %}

openstack-flavor-{{ name }}-absent:
  openstack_flavor.absent:
    - name: {{ name | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
{%- endfor %}
