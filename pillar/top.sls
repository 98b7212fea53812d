{#- Pillar top: site-wide data for everyone, then each minion's own host file and its own
    secrets file, chosen by the minion id the master authenticated (opts.id here, never a
    grain a minion could claim). A host file names the host's roles and includes the role
    files, so adding a host is adding one file here. #}
base:
  '*':
    - site.common
  '{{ opts.id }}':
    - hosts.{{ opts.id }}
    - secrets.{{ opts.id }}
    - ignore_missing: True
