# Same shape as the site's pillar/top.sls: site data for all, then each minion's own host and
# secrets files chosen by the authenticated minion id.
base:
  '*':
    - site
  '{{ opts.id }}':
    - hosts.{{ opts.id }}
    - secrets.{{ opts.id }}
    - ignore_missing: True
