ceph:
  fsid: 63d891a2-c95c-4fb2-a9fc-e397eeb4c20e
  mon_host: [10.89.50.21]
  client:
    enabled: true
