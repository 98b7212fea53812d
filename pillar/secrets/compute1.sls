# Secrets of the host `compute1` only: client.nova's key (its role's only Ceph identity).
# CLEARLY FAKE demo key for the lab.
ceph:
  keys:
    clients:
      nova: AQDqTQdrACYEIBAA9rVkyABdlAUu0i9AKxoG/w==
