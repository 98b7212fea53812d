{#- Properties of existing images, one openstack_image.properties per `openstack:images:<name>`
    (`image:` names the image by id when its name is not unique). Only the listed keys are set. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
include:
  - {{ tplroot }}.validate
{%- for name, image in settings.images | dictsort %}

openstack-image-{{ name }}-properties:
  openstack_image.properties:
    - name: {{ image.get('image', name) | json }}
    - properties: {{ image.properties | json }}
    - pillar_key: {{ ('openstack:images:' ~ name ~ ':properties') | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%- endfor %}
