# Secrets of the host `controller1` only: the keys of the Ceph clients its cloud services use
# (client.glance for Glance's rbd store, client.cinder for volumes), and the passwords of the
# site's users on its MariaDB (mariadb formula). CLEARLY FAKE demo values.
ceph:
  keys:
    clients:
      glance: AQDqTQdr8jFmFxAASUrwurYIJ9T/cdMPkzkrYg==
      cinder: AQDqTQdr3LIrHBAAfx4eH0unRjx/k7WCI98NPw==
mariadb:
  user_passwords:
    # Ironic's database user (ironic1 holds the same one as ironic:database_password)
    ironic: FAKE-ironic-mariadb-password
