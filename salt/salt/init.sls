{#- `salt` alone manages this host's minion; the master and salt-ssh components are
    given by role in top.sls (salt.master, salt.ssh). #}
include:
  - .minion
