# Every host with a salt-minion: where the master is, and Salt from the lab's image.
salt:
  install:
    method: preinstalled
  lookup:
    bin_dir: /opt/saltstack/salt/bin
  minion:
    master: 10.89.50.10
