{#- Removes the users and services the pillar lists (a service's endpoints go with it).
    Projects and roles stay: other users and resources may live in them. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name, user in settings.identity.users | dictsort %}

openstack-identity-user-{{ name }}-absent:
  openstack_identity.user_absent:
    - name: {{ name | json }}
{%-   if user.get('domain') %}
    - domain: {{ user.domain | json }}
{%-   endif %}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
{%- endfor %}
{%- for name, service in settings.identity.services | dictsort %}

openstack-identity-service-{{ name }}-absent:
  openstack_identity.service_absent:
    - name: {{ name | json }}
    - service_type: {{ service.type | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
{%- endfor %}
