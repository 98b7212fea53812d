{#- Deletes the aggregates the pillar lists (their hosts are removed from them first). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name in settings.aggregates | sort %}

openstack-aggregate-{{ name }}-absent:
  openstack_aggregate.absent:
    - name: {{ name | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
{%- endfor %}
