include:
  - .release
