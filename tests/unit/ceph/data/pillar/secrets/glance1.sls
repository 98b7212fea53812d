ceph:
  keys:
    clients:
      glance: AQDP7gVr10DlGBAAW3kWCSCHYDrnMoxSjraiMw==
