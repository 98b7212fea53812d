# Every host with a salt-minion: where the master is, and Salt from the lab's image.
salt:
  install:
    method: preinstalled
  lookup:
    bin_dir: /opt/saltstack/salt/bin
  minion:
    master: 10.89.50.10
    # Self-healing: what the salt formula owns on every minion, and the component that
    # heals it (the beacons come from here, the master's reactor looks the owner up here).
    heal:
      interval: 5
      canary: true
      services:
        stacksalt-canary: {sls: salt.minion.canary}
      files:
        /etc/salt/minion.d/10-stacksalt.conf: {sls: salt.minion.config}
        /etc/salt/minion.d/20-beacons.conf: {sls: salt.minion.config}
        /etc/salt/minion.d/90-extra.conf: {sls: salt.minion.config}
