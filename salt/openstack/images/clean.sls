{#- Removes the properties the pillar sets from its images (the images stay). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- for name, image in settings.images | dictsort %}

openstack-image-{{ name }}-properties-absent:
  openstack_image.properties_absent:
    - name: {{ image.get('image', name) | json }}
    - keys: {{ image.properties | list | sort | json }}
{%-   if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-   endif %}
{%- endfor %}
