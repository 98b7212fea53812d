{%- set roles = ['salt-minion', 'ceph-mon', 'ceph-mgr', 'ceph-osd'] %}
include:
{%- for role in roles %}
  - roles.{{ role }}
{%- endfor %}

roles: {{ roles | json }}

ceph:
  osd:
    # A sparse file: the lab has no spare disks. The uuid is this OSD's identity (uuidgen once).
    devices:
      - uuid: 2e8fc7a6-1382-4ea9-9c9c-351d8970bdab
        type: file
        path: /var/lib/ceph/osd-files/osd0.img
        size: 10G
