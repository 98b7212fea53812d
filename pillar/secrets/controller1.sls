# Secrets of the host `controller1` only: the keys of the Ceph clients its cloud services use
# (client.glance for Glance's rbd store, client.cinder for volumes). CLEARLY FAKE demo keys.
ceph:
  keys:
    clients:
      glance: AQDqTQdr8jFmFxAASUrwurYIJ9T/cdMPkzkrYg==
      cinder: AQDqTQdr3LIrHBAAfx4eH0unRjx/k7WCI98NPw==
