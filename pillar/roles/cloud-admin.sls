# The host that talks to the OpenStack APIs for the site (flavors, aggregates, images,
# node enrolment). Credentials come from secrets/<id>.sls of that host only.
# It is also a Ceph client: its own identity client.image-import (rbd on pool images) imports
# the instance image straight into Glance's pool.
include:
  - site.ceph

ceph:
  client:
    enabled: true
    keyrings:
      image-import: {mode: '0600'}

openstack_cloud: demo

# Cloud objects for the openstack formula (salt/openstack, see its pillar.example).
# Passwords of the users below: openstack:user_passwords in this host's secrets.
openstack:
  identity:
    projects:
      service: {description: Service project}
    services:
      # Ironic joins the existing cloud: its catalog entry, its endpoints at the address the
      # Ironic host publishes in the mine, its service user.
      ironic:
        type: baremetal
        description: Ironic bare metal provisioning
        endpoints:
          public: {host: ironic1, port: 6385}
          internal: {host: ironic1, port: 6385}
    users:
      ironic:
        default_project: service
        roles:
          service: [admin, service]
      # the compute hosts' nova-compute (roles/compute.sls): Placement, Neutron, Glance and
      # service tokens, as the cloud's own services do
      nova-compute:
        default_project: service
        roles:
          service: [admin, service]
  networks:
    # The flat provider network Ironic provisions and cleans nodes on (ironic:neutron:cleaning_network)
    baremetal:
      provider_network_type: flat
      provider_physical_network: baremetal
      shared: true
      description: Ironic provisioning and cleaning
      subnets:
        baremetal-v4:
          cidr: 10.89.60.0/24
          gateway_ip: none
          enable_dhcp: false
          allocation_pools:
            - {start: 10.89.60.100, end: 10.89.60.200}
  flavors:
    baremetal:
      vcpus: 1
      ram: 1024
      disk: 20
      extra_specs:
        resources:CUSTOM_BAREMETAL: 1
        resources:VCPU: 0
        resources:MEMORY_MB: 0
        resources:DISK_GB: 0
        aggregate_instance_extra_specs:baremetal: "true"
    m1.small:
      vcpus: 1
      ram: 2048
      disk: 20
      extra_specs:
        aggregate_instance_extra_specs:baremetal: "false"
    # CERN's high-throughput flavor (operator-workflows section 4): a guest of 2 NUMA nodes on
    # dedicated CPUs, backed by 2 MB pages (1 GB pages were unevenly spread across the
    # hypervisors' NUMA nodes), 2 sockets x 8 cores x 2 threads; for the tuned compute hosts.
    m1.large-numa:
      vcpus: 32
      ram: 65536
      disk: 40
      description: CERN high-throughput (2 NUMA nodes, dedicated CPUs, 2 MB pages)
      extra_specs:
        hw:numa_nodes: 2
        hw:cpu_policy: dedicated
        hw:mem_page_size: 2MB
        hw:cpu_sockets: 2
        hw:cpu_cores: 8
        hw:cpu_threads: 2
        aggregate_instance_extra_specs:baremetal: "false"
  # The site's images: uploaded through Glance (stored in the site's Ceph by its rbd store), or
  # with `rbd`, imported straight into that pool (glance_rbd_image).
  # The files: what the operator downloads (IPA's deploy kernel and ramdisk, an instance image);
  # in the lab, small stand-ins lab/lab puts on this host (fake-hardware boots none of them).
  images:
    deploy-kernel:
      source: /srv/stacksalt-lab-images/deploy-kernel
      disk_format: aki
      container_format: aki
      visibility: public
    deploy-ramdisk:
      source: /srv/stacksalt-lab-images/deploy-ramdisk
      disk_format: ari
      container_format: ari
      visibility: public
    baremetal-instance:
      source: /srv/stacksalt-lab-images/baremetal-instance.qcow2
      disk_format: qcow2
      visibility: public
      # imported raw straight into Glance's pool (glance_rbd_image), no data through Glance
      rbd: {pool: images, user: image-import}
      properties:
        # a partition image boots with its kernel and ramdisk: the images above, by name
        kernel_id: {image: deploy-kernel}
        ramdisk_id: {image: deploy-ramdisk}
        os_distro: debian
    # A Windows image: both os_type and os_distro, or KVM misses the Hyper-V enlightenments
    # (CLOCK_WATCHDOG_TIMEOUT under load), with the site's own properties
    windows-server-2022:
      source: /srv/stacksalt-lab-images/windows-server-2022.qcow2
      disk_format: qcow2
      visibility: public
      properties:
        os_type: windows
        os_distro: windows
        os_distro_major: "2022"
        hw_qemu_guest_agent: "yes"
        hw_disk_bus: scsi
        hw_scsi_model: virtio-scsi
        release_date: "2026-10-01"
        recommended: "true"
  # Scheduled backups (instance_backup.policy, docs/instance-backup.md): a job in this host's Salt
  # schedule, every night at 02:00 UTC, backing up the site's virtual instance; of its backups it
  # keeps the newest of each of the 3 most recent days and of the 2 most recent ISO weeks.
  # `lab/lab backup` runs the job once now (salt master schedule.run_job instance_backup-nightly).
  backups:
    nightly:
      servers: [lab-virtual-1]
      backup_type: daily
      retention: {daily: 3, weekly: 2}
      schedule: {cron: '0 2 * * *'}
  # The lab's Ceph cluster (Glance's store) comes up in the same first highstate, minutes after
  # this host starts uploading: Glance refuses data until then, so uploads are retried.
  images_retry:
    attempts: 30
    interval: 15
  aggregates:
    baremetal-hosts:
      # its member joins it itself: the Ironic host's nova-compute registers during the same
      # highstate as this state runs here (nova:compute:aggregates, salt/nova)
      metadata: {baremetal: "true"}
    virtual-hosts:
      metadata: {baremetal: "false"}
      hosts_matching: "*compute*"
