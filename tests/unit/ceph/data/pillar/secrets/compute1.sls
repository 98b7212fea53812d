ceph:
  keys:
    clients:
      nova: AQDP7gVrZN1GGxAAk4g0Zq7T0pf2Tf2Jed63nw==
