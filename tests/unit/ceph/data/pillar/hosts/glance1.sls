ceph:
  client:
    keyrings:
      glance: {owner: root, group: root, mode: '0640'}
