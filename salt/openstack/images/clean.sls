{#- Removes the properties the pillar sets from images it does not upload (the images stay).
    Images it uploads (with a `source`) stay too, properties and all: instances may be using
    them; `openstack_image.absent` deletes one on purpose. #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name, image in settings.images | dictsort if not image.get('source') %}

openstack-image-{{ name }}-properties-absent:
  openstack_image.properties_absent:
    - name: {{ image.get('image', name) | json }}
    - keys: {{ image.properties | list | sort | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
{%- endfor %}
