{#- Images from pillar `openstack:images:<name>`: with a `source`, an image uploaded through
    Glance's API (openstack_image.present: created once, then its attributes and the listed
    properties converged; a property `{image: NAME}` is that image's id, so an instance image
    names its deploy kernel and ramdisk); without one, only the listed properties of an image
    that exists already (`image:` names it by id when its name is not unique). An image with
    `rbd` is imported straight into the Glance store's RBD pool instead (glance_rbd_image.present:
    qemu-img writes it raw into the pool as a cephx client of this host, Glance gets its location;
    no data goes through Glance). #}
{%- set tplroot = tpldir.split('/')[0] %}
{%- from tplroot ~ '/map.jinja' import settings with context %}
{%- set rbd_images = settings.images | dictsort | selectattr('1.rbd', 'defined') | map(attribute='0') | list %}
{#- A host that is a Ceph client by the ceph formula gets its ceph.conf and keyring before it
    imports (in the same run on a fresh host); else the operator provides them. #}
{%- set ceph_client = rbd_images and salt['pillar.get']('ceph:client:enabled', False) %}
include:
  - {{ tplroot }}.validate
{%- if ceph_client %}
  - ceph.client
{%- endif %}
{%- if rbd_images %}

{#- qemu-img with its rbd driver, and the rbd tool, for the images imported into RBD #}
openstack-images-rbd-tools-installed:
  pkg.installed:
    - pkgs: {{ settings.pkgs.rbd_import | json }}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
{%- endif %}
{%- for name, image in settings.images | dictsort %}
{%-   if image.get('rbd') is mapping %}

openstack-image-{{ name }}-present:
  glance_rbd_image.present:
    - name: {{ name | json }}
    - source: {{ image.source | json }}
    - source_format: {{ image.get('disk_format', 'qcow2') | json }}
{%-     for key, value in image.rbd | dictsort %}
    - {{ key }}: {{ value | json }}
{%-     endfor %}
{%-     for key in ('visibility', 'min_disk', 'min_ram', 'properties') if key in image %}
    - {{ key }}: {{ image[key] | json }}
{%-     endfor %}
    - pillar_key: {{ ('openstack:images:' ~ name) | json }}
{%-     if settings.cloud %}
    - cloud: {{ settings.cloud | json }}
{%-     endif %}
{%-     if settings.images_retry.attempts > 1 %}
    {#- a failed import is rolled back, so trying again is safe #}
    - retry:
        attempts: {{ settings.images_retry.attempts }}
        interval: {{ settings.images_retry.interval }}
{%-     endif %}
    - require:
      - pillar_schema: openstack-pillar-schema-validated
      - pkg: openstack-images-rbd-tools-installed
{%-     if ceph_client %}
      - sls: ceph.client
{%-     endif %}
{%-     for value in image.get('properties', {}).values() if value is mapping and value.get('image') in settings.images %}
      - {{ 'glance_rbd_image' if settings.images[value.image].get('rbd') is mapping else 'openstack_image' }}: openstack-image-{{ value.image }}-present
{%-     endfor %}
{%-   elif image.get('source') %}

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
