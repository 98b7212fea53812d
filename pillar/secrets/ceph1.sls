# Secrets of the host `ceph1` only (monitor: it creates every cephx identity of the site).
# CLEARLY FAKE demo keys for the lab: generate your own with `ceph-authtool --gen-print-key`.
ceph:
  keys:
    mon: AQDqTQdrLdk7CxAAhZtRhXIdiKj5QZ6hwupXSw==
    admin: AQDqTQdrMbaWDxAA9NaQCOl96fP1ImRfZQ8RNw==
    bootstrap_osd: AQDqTQdrjg6WExAArO5Gv29z4DsonpPjR4k9EQ==
    clients:
      glance: AQDqTQdr8jFmFxAASUrwurYIJ9T/cdMPkzkrYg==
      cinder: AQDqTQdr3LIrHBAAfx4eH0unRjx/k7WCI98NPw==
      nova: AQDqTQdrACYEIBAA9rVkyABdlAUu0i9AKxoG/w==
      image-import: AQClqBBrBi9rNBAA/UJx9bZYhSXsMDatmG9hFA==
