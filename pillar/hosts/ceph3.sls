{%- set roles = ['salt-minion', 'ceph-osd'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}

ceph:
  osd:
    # A sparse file: the lab has no spare disks. The uuid is this OSD's identity (uuidgen once).
    devices:
      - uuid: 4d163442-e719-4382-a344-eeb15b2da447
        type: file
        path: /var/lib/ceph/osd-files/osd0.img
        size: 10G
