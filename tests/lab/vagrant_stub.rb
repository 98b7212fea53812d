# Loads a Vagrantfile with a recording stand-in for Vagrant and prints what it defines as JSON
# (machines with hostname, networks and provisioners; providers; box). Used by the lab tests
# to hold the Vagrantfile to the lab's topology without booting VMs.
require "json"

class Recorder
  attr_reader :calls, :attrs

  def initialize
    @calls = []
    @attrs = {}
  end

  def method_missing(name, *args, **kw, &blk)
    if name.to_s.end_with?("=")
      @attrs[name.to_s.chomp("=")] = args[0]
      return nil
    end
    @calls << [name.to_s, args.map(&:to_s), kw.to_h { |k, v| [k.to_s, v.to_s] }]
    blk&.call(Recorder.new)
    nil
  end

  def respond_to_missing?(*)
    true
  end
end

class Machine
  attr_reader :vm

  def initialize
    @vm = Recorder.new
  end
end

class VMConfig < Recorder
  def initialize(machines)
    super()
    @machines = machines
  end

  def define(name, **_opts)
    machine = Machine.new
    yield machine
    @machines[name.to_s] = machine
  end
end

class RootConfig
  attr_reader :vm, :machines

  def initialize
    @machines = {}
    @vm = VMConfig.new(@machines)
  end
end

module Vagrant
  def self.configure(_version)
    cfg = RootConfig.new
    yield cfg
    machines = cfg.machines.map do |name, m|
      {
        "name" => name,
        "hostname" => m.vm.attrs["hostname"],
        "ips" => m.vm.calls.select { |c| c[0] == "network" }.map { |c| c[2]["ip"] },
        "provisioners" => m.vm.calls.select { |c| c[0] == "provision" }.map { |c| c[1][0] },
      }
    end
    providers = cfg.vm.calls.select { |c| c[0] == "provider" }.map { |c| c[1][0] }
    puts JSON.dump({ "machines" => machines, "providers" => providers, "box" => cfg.vm.attrs["box"] })
  end
end

load ARGV.fetch(0)
