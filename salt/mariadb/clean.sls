include:
  - .databases.clean
