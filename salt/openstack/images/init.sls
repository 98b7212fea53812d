{#- Images from pillar `openstack:images:<name>`: with a `source`, an image uploaded through
    Glance's API (openstack_image.present: created once, then its attributes and the listed
    properties converged; a property `{image: NAME}` is that image's id, so an instance image
    names its deploy kernel and ramdisk); without one, only the listed properties of an image
    that exists already (`image:` names it by id when its name is not unique). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate
{%- for name, image in settings.images | dictsort %}
{%-   if image.get('source') %}

openstack-image-{{ name }}-present:
  openstack_image.present:
    - name: {{ name | json }}
{%-     for key, value in image | dictsort %}
    - {{ key }}: {{ value | json }}
{%-     endfor %}
    - pillar_key: {{ ('openstack:images:' ~ name) | json }}
{%-     if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-     endif %}
{%-     if settings.images_retry.attempts > 1 %}
    {#- a failed upload leaves no image behind, so trying again is safe #}
    - retry:
        attempts: {{ settings.images_retry.attempts }}
        interval: {{ settings.images_retry.interval }}
{%-     endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%-     for value in image.get('properties', {}).values() if value is mapping and value.get('image') in settings.images %}
      - openstack_image: openstack-image-{{ value.image }}-present
{%-     endfor %}
{%-   else %}

openstack-image-{{ name }}-properties:
  openstack_image.properties:
    - name: {{ image.get('image', name) | json }}
    - properties: {{ image.properties | json }}
    - pillar_key: {{ ('openstack:images:' ~ name ~ ':properties') | json }}
{%-     if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-     endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%-   endif %}
{%- endfor %}
