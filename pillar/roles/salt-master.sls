# The salt master: roots in the repository checkout, the key allow-list, salt-ssh roster.
salt:
  master:
    worker_threads: 4
    # the checkout (mounted read-only in the lab); minions get only <checkout>/salt and the
    # view of top.sls and the loader directories (salt.master.fileserver)
    checkout: /srv/stacksalt
    keys:
      # minion id -> fingerprint its key must have (`salt-call --local key.finger` on the host).
      # The lab records these when it seeds the keys (lab/lab); these are placeholders.
      allowed: {}
  minion:
    # The master's own config files, healed by salt.master.config (which never restarts
    # the master by itself: restoring the file on disk is enough until its next restart).
    heal:
      files:
        /etc/salt/master.d/10-stacksalt.conf: {sls: salt.master.config}
        /etc/salt/master.d/20-reactor.conf: {sls: salt.master.config}
  ssh:
    roster:
      edge1:
        host: 10.89.50.40
        sudo: false
