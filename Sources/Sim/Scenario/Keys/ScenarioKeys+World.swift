import Model

// The keys of the simulated world: hypervisors, DHCP, network, workload and faults.
extension ScenarioKeys {
    static let hypervisor: [ScenarioKey] = {
        let t = HypervisorTimings()
        let storage = t.storage
        func latency(_ name: String, _ value: Distribution, _ meaning: String) -> ScenarioKey {
            ScenarioKey("hypervisor." + name, .distribution, KeyDefault.distribution(value), "s", meaning)
        }
        return [
            latency("revert", t.revert, "revert a worker to its clean snapshot"),
            latency("suspend", t.suspend, "suspend a worker"),
            latency("shutdown", t.shutdown, "shut a worker down"),
            latency("boot", t.boot, "power a shut-down worker on as its disk is, until it runs (wake: reuseClean)"),
            latency("resume", t.resume, "resume a suspended worker from its saved memory (wake: reuseClean)"),
            latency("clone", t.clone, "clone a worker (start-up cloning, clone-ahead)"),
            latency("addressRead", t.addressRead, "read the guest's address through the tools (no renewal)"),
            latency("keyFetch", t.keyFetch, "fetch the guest's own SSH key"),
            latency("keyWrite", t.keyWrite, "append a key to the guest's authorized_keys"),
            latency("launch", t.launch, "ssh <ip> <command> until the object runs"),
            ScenarioKey("hypervisor.storage", .section, "", "",
                        "the datastore behind revert, resume, boot and clone, read on top of their latencies"),
            ScenarioKey("hypervisor.storage.readMBps", .number, storage.readMBps.map(KeyDefault.number) ?? "none",
                        "MB/s", "the datastore's read rate; none: operations read nothing"),
            ScenarioKey("hypervisor.storage.memoryImageMB", .number, KeyDefault.number(storage.memoryImageMB), "MB",
                        "the memory image a revert to a running snapshot or a resume loads"),
            ScenarioKey("hypervisor.storage.bootReadMB", .number, KeyDefault.number(storage.bootReadMB), "MB",
                        "what a cold boot reads from the virtual disk"),
            ScenarioKey("hypervisor.storage.diskMB", .number, KeyDefault.number(storage.diskMB), "MB",
                        "the virtual disk a clone copies (read, then written at the same rate)"),
        ]
    }()

    static let dhcp: [ScenarioKey] = {
        let d = DHCPSettings()
        return [
            ScenarioKey("dhcp.areas", .integer, KeyDefault.number(d.areas), "",
                        "DHCP areas, one server each; node i is in area i mod areas"),
            ScenarioKey("dhcp.poolSize", .integer, KeyDefault.number(d.poolSize), "",
                        "addresses each area's server hands out"),
            ScenarioKey("dhcp.lease", .durationOrNever, KeyDefault.seconds(d.leaseSeconds), "s",
                        "lease length; never: leases never expire"),
            ScenarioKey("dhcp.renew", .distribution, KeyDefault.distribution(d.renew), "s",
                        "a forced renewal before the first job (dhcpRenewal: renew)"),
            ScenarioKey("dhcp.reversePing", .distribution, KeyDefault.distribution(d.reversePing), "s",
                        "the guest's ping to the admin VM, which refreshes its lease (dhcpRenewal: reverse-ping)"),
            ScenarioKey("dhcp.guestRenewalDelay", .distribution, KeyDefault.distribution(d.guestRenewalDelay), "s",
                        "after a revert onto a lost lease, the guest's own client notices after this long"),
        ]
    }()

    static let network: [ScenarioKey] = {
        let n = NetworkSettings()
        return [
            ScenarioKey("network.latency", .distribution, KeyDefault.distribution(n.latency), "s",
                        "one-way latency of a service message between two nodes"),
            ScenarioKey("network.bandwidthMBps", .number,
                        n.bandwidthBytesPerSecond.map { KeyDefault.number($0 / 1e6) } ?? "unlimited", "MB/s",
                        "each node's link to the grid; its messages leave one after another"),
            ScenarioKey("network.messageBytes", .integer, KeyDefault.number(n.messageBytes), "bytes",
                        "the size of one service message on the wire"),
        ]
    }()

    static let workload: [ScenarioKey] = {
        let w = ScenarioDefaults.workload
        let object = ScenarioDefaults.objectResources
        return [
            ScenarioKey("workload.kind", .choice(of: ScenarioLoader.WorkloadKind.self),
                        ScenarioDefaults.workloadKind.rawValue, "", "Poisson arrivals, or jobs from a trace file"),
            ScenarioKey("workload.applications", .integer, KeyDefault.number(w.applications), "",
                        "applications to submit (poisson)"),
            ScenarioKey("workload.arrivalRate", .number, KeyDefault.number(w.arrivalsPerSecond), "per s",
                        "mean application arrivals per second (poisson)"),
            ScenarioKey("workload.objects", .distribution, KeyDefault.distribution(w.objectsPerApplication), "objects",
                        "objects per application: whole numbers up to the grid's job slots (poisson)"),
            ScenarioKey("workload.objectDuration", .distribution, KeyDefault.distribution(w.objectSeconds), "s",
                        "how long each object computes (poisson)"),
            ScenarioKey("workload.mainNode", .nodeOrRandom, w.mainNode == .random ? "random" : "node", "",
                        "the node each application's main starts from"),
            ScenarioKey("workload.file", .file, "required (trace)", "",
                        "the trace, CSV (id, arrival_s, compute_s, ...) or SWF, relative to the scenario's folder"),
            ScenarioKey("workload.format", .choice(of: ScenarioLoader.TraceFormatName.self), "the file's extension", "",
                        "the trace's format"),
            ScenarioKey("workload.objectResources", .section, "", "",
                        "what every object asks for (its object description)"),
            ScenarioKey("workload.objectResources.powerMflops", .integer, KeyDefault.number(object.powerMflops),
                        "Mflops", "computing power each object asks for"),
            ScenarioKey("workload.objectResources.memoryMB", .integer, KeyDefault.number(object.memoryMB), "MB",
                        "memory each object asks for"),
            ScenarioKey("workload.objectResources.bandwidthMbps", .integer, KeyDefault.number(object.bandwidthMbps),
                        "Mbit/s", "bandwidth each object asks for"),
        ]
    }()

    static let faults: [ScenarioKey] = {
        let f = FaultSettings()
        // The window of a message fault or delay: from the start, for ever (as `MessageFault` has it).
        let always = MessageFault(probability: 0)
        func window(_ section: String, _ what: String) -> [ScenarioKey] {
            [ScenarioKey(section + ".from", .duration, KeyDefault.number(always.fromSeconds), "s",
                         "start of the window " + what),
             ScenarioKey(section + ".to", .durationOrNever,
                         KeyDefault.seconds(always.toSeconds.isFinite ? always.toSeconds : nil), "s",
                         "end of the window (exclusive)")]
        }
        func messageFault(_ name: String, _ meaning: String) -> [ScenarioKey] {
            [ScenarioKey("faults." + name, .section, "none", "", meaning),
             ScenarioKey("faults.\(name).probability", .fraction, "required", "", "probability for each message sent"),
             ScenarioKey("faults.\(name).kinds", .messageKinds, "every kind", "",
                         "the message kinds it hits: " + MessageKind.names.joined(separator: ", "))]
                + window("faults." + name, "(messages sent in it)")
        }
        func outages(_ name: String, target: String, _ meaning: String) -> [ScenarioKey] {
            [ScenarioKey("faults." + name, .list, "none", "", meaning),
             ScenarioKey("faults.\(name)[].from", .duration, "required", "s", "start of the outage"),
             ScenarioKey("faults.\(name)[].to", .duration, "required", "s", "end of the outage (exclusive)"),
             ScenarioKey("faults.\(name)[].\(target)", .integer, "every \(target)", "", "the \(target) affected")]
        }
        return [
            ScenarioKey("faults.revertFailure", .fraction, KeyDefault.number(f.revertFailureProbability), "",
                        "probability a revert fails"),
            ScenarioKey("faults.cloneFailure", .fraction, KeyDefault.number(f.cloneFailureProbability), "",
                        "probability a clone fails"),
            ScenarioKey("faults.objectCrash", .fraction, KeyDefault.number(f.objectCrashProbability), "",
                        "probability an object crashes"),
            ScenarioKey("faults.mainCrash", .fraction, KeyDefault.number(f.mainCrashProbability), "",
                        "probability an application's main dies after reserving, before its objects run"),
            ScenarioKey("faults.vmCrashesPerHour", .number, KeyDefault.number(f.vmCrashesPerHour), "per h",
                        "each running worker VM crashes at this rate (exponential times)"),
        ]
            + outages("dhcpOutages", target: "area", "DHCP servers that answer nothing during a window")
            + outages("hypervisorOutages", target: "node", "hypervisor connections failing every operation during a window")
            + [ScenarioKey("faults.messageDelay", .section, "none", "",
                           "extra latency on service messages sent during a window (reorders them)"),
               ScenarioKey("faults.messageDelay.extra", .distribution, "required", "s", "the latency added")]
            + window("faults.messageDelay", "(messages sent in it)")
            + messageFault("messageDrop", "service messages lost in the network (never delivered)")
            + messageFault("messageDuplicate", "service messages delivered twice (the copy with its own latency)")
            + [ScenarioKey("faults.adminRestarts", .list, "none", "",
                           "admin VMs that restart and lose their services' memory"),
               ScenarioKey("faults.adminRestarts[].node", .integer, "required", "", "the node whose admin VM restarts"),
               ScenarioKey("faults.adminRestarts[].at", .duration, "required", "s", "when it restarts"),
               ScenarioKey("faults.shuffleTies", .bool, KeyDefault.bool(f.shuffleTies), "",
                           "events due at the same instant run in a seeded shuffled order instead of insertion order")]
    }()
}
