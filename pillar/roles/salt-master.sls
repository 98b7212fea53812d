# The salt master: roots in the repository checkout, the key allow-list, salt-ssh roster.
salt:
  master:
    worker_threads: 4
    file_roots: [/srv/stacksalt/salt, /srv/stacksalt]
    pillar_roots: [/srv/stacksalt/pillar]
    keys:
      # minion id -> fingerprint its key must have (`salt-call --local key.finger` on the host).
      # The lab records these when it seeds the keys (lab/lab); these are placeholders.
      allowed: {}
  ssh:
    roster:
      edge1:
        host: 10.89.50.40
        sudo: false
