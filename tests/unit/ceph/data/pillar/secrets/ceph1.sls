ceph:
  keys:
    mon: AQDP7gVrwnMhFRAAlbWYNIv4UzOraGBgzyYmOw==
    admin: AQDP7gVrotSCFhAAC5phf75km9teK2nggkdJZw==
    clients:
      glance: AQDP7gVr10DlGBAAW3kWCSCHYDrnMoxSjraiMw==
      nova: AQDP7gVrZN1GGxAAk4g0Zq7T0pf2Tf2Jed63nw==
