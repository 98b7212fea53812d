ceph:
  client:
    keyrings:
      nova: {owner: root, group: root, mode: '0640'}
