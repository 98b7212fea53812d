{#- Keystone registrations from pillar `openstack:identity`: projects, then services with their
    endpoints, then users with their role assignments. A service registers itself this way
    (Ironic: its catalog entry, its endpoints, its service user). Endpoint URLs may name a host
    (`{host: ironic1, port: 6385}`): its address comes from the Salt mine (lib/addresses.jinja).
    Passwords come from `openstack:user_passwords:<user>` (the cloud-admin host's secrets). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- import 'lib/addresses.jinja' as addresses with context %}
{%- set identity = settings.identity %}
include:
  - {{ tplroot }}.validate
{%- for name, project in identity.projects | dictsort %}

openstack-identity-project-{{ name }}-present:
  openstack_identity.project_present:
    - name: {{ name | json }}
{%-   for key, value in project | dictsort %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - pillar_key: {{ ('openstack:identity:projects:' ~ name) | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%- endfor %}
{%- for name, service in identity.services | dictsort %}

openstack-identity-service-{{ name }}-present:
  openstack_identity.service_present:
    - name: {{ name | json }}
    - service_type: {{ service.type | json }}
{%-   if service.get('description') %}
    - description: {{ service.description | json }}
{%-   endif %}
    - pillar_key: {{ ('openstack:identity:services:' ~ name) | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%-   set urls = {} %}
{%-   set unresolved = [] %}
{%-   for interface, spec in service.get('endpoints', {}) | dictsort %}
{%-     set resolved = addresses.url(spec) | trim %}
{%-     if resolved %}
{%-       do urls.update({interface: resolved}) %}
{%-     else %}
{%-       do unresolved.append(interface ~ ' (host ' ~ spec.host ~ ')') %}
{%-     endif %}
{%-   endfor %}
{%-   if unresolved %}

openstack-identity-service-{{ name }}-endpoints-present:
  test.fail_without_changes:
    - name: >-
        openstack:identity:services:{{ name }}:endpoints: no address in the Salt mine for
        {{ unresolved | join(', ') }}; nothing was changed. Run `salt HOST mine.update` on that
        host (it publishes stacksalt_address), then apply again.
{%-   elif urls %}

openstack-identity-service-{{ name }}-endpoints-present:
  openstack_identity.endpoints_present:
    - name: {{ name | json }}
    - service_type: {{ service.type | json }}
    - region: {{ service.get('region', 'RegionOne') | json }}
    - urls: {{ urls | json }}
    - purge: {{ service.get('purge_endpoints', False) | json }}
    - pillar_key: {{ ('openstack:identity:services:' ~ name ~ ':endpoints') | json }}
{%-     if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-     endif %}
    - require:
      - openstack_identity: openstack-identity-service-{{ name }}-present
{%-   endif %}
{%- endfor %}
{%- for name, user in identity.users | dictsort %}
{%-   set password_key = 'openstack:user_passwords:' ~ name %}

openstack-identity-user-{{ name }}-present:
  openstack_identity.user_present:
    - name: {{ name | json }}
{#-   by key: the state reads it on the minion, the rendered SLS never holds it #}
{%-   if salt['pillar.get'](password_key, '') %}
    - password_pillar: {{ password_key | json }}
{%-   endif %}
{%-   for key, value in user | dictsort if key != 'roles' %}
    - {{ key }}: {{ value | json }}
{%-   endfor %}
    - pillar_key: {{ ('openstack:identity:users:' ~ name) | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%-   for project in identity.projects %}
      - openstack_identity: openstack-identity-project-{{ project }}-present
{%-   endfor %}
{%-   for project, roles in user.get('roles', {}) | dictsort %}
{%-     for role in roles %}

openstack-identity-user-{{ name }}-role-{{ role }}-on-{{ project }}-granted:
  openstack_identity.role_granted:
    - name: {{ role | json }}
    - user: {{ name | json }}
    - project: {{ project | json }}
{%-       if user.get('domain') %}
    - user_domain: {{ user.domain | json }}
{%-       endif %}
    - pillar_key: {{ ('openstack:identity:users:' ~ name ~ ':roles:' ~ project) | json }}
{%-       if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-       endif %}
    - require:
      - openstack_identity: openstack-identity-user-{{ name }}-present
{%-     endfor %}
{%-   endfor %}
{%- endfor %}
