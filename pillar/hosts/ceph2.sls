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
      - uuid: a274daa2-38be-4ee0-9c2f-b14b1ba8f52c
        type: file
        path: /var/lib/ceph/osd-files/osd0.img
        size: 10G
