include:
  - .config
  - .service
  - .keys
