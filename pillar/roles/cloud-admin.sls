# The host that talks to the OpenStack APIs for the site (flavors, aggregates, images,
# node enrolment). Credentials come from secrets/<id>.sls of that host only.
openstack_cloud: demo
