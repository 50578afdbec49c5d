import Model

/// Which libvirt domain is which of Model's worker VMs, and what the run did to each.
///
/// Model numbers VMs in the order it creates them: node-major and in ordinal order at start-up
/// (`ControlPlane.vms`), then each clone when it emits `.defineVM`. Worker `k` of node `i` is the domain
/// `node<i>_worker<k>` (`WorkerNaming`), so the map is by name. Owned by the driver and used only on the thread
/// running the driver.
struct WorkerInventory {
    struct Worker {
        let vm: VMID
        let node: NodeID
        let ordinal: Int32
        let name: String
        /// nil until a clone created it (or for a clone that failed).
        var domain: LibvirtDomain?
        var createdByRun = false
        /// The run issued something for it (hypervisor or guest call, a launch).
        var touched = false
        var revertCalls = 0
        var modelRevertCalls = 0
        var cleanupReverts = 0
        var failedCalls = 0
        var lastOperation: String?
        var lastOperationSucceeded = false
        /// An object ran or a key was written since its last successful revert.
        var usedSinceRevert = false
        var applicationsServed: Set<AppID> = []
        var objectsRunning = 0
        var vmKey: String?

        var guest: GuestTarget { GuestTarget(vm: vm, node: node, ordinal: ordinal, domainName: name) }
    }

    private(set) var workers: [Worker] = []
    /// Domains found past the workers Model knows (`node<i>_worker<k>` for k > initialWorkers), e.g. clones left
    /// by an earlier run. Model cannot use them; they are reverted at start-up and otherwise left alone.
    private(set) var extras: [LibvirtDomain] = []
    private(set) var calls: [HypervisorCallRecord] = []

    /// Looks up every worker Model starts with; on the test driver makes the missing ones (from the template,
    /// running, with their clean snapshot). Then looks for further `_worker<k>` until a lookup fails. On failure,
    /// whatever it made is removed again.
    static func open(plane: ControlPlane, connection: LibvirtConnection, createMissing: Bool,
                     log: DriverLog) throws -> WorkerInventory {
        var inventory = WorkerInventory()
        do {
            for (index, vm) in plane.vms.enumerated() {
                let name = WorkerNaming.domainName(node: vm.node, ordinal: vm.ordinal)
                var worker = Worker(vm: VMID(index), node: vm.node, ordinal: vm.ordinal, name: name)
                do {
                    let domain = try connection.lookupDomain(name: name)
                    worker.domain = domain
                    if let snapshots = try? domain.snapshotNames(), !snapshots.contains(WorkerNaming.cleanSnapshot) {
                        log.line("worker \(name) has no \(WorkerNaming.cleanSnapshot) snapshot: reverting it will fail")
                    }
                } catch let error as LibvirtError where error.isNotFound {
                    guard createMissing else {
                        throw RealRunError.workers(
                            "worker VM \(name) does not exist on \(connection.uri): define it, start it and take its "
                                + "\(WorkerNaming.cleanSnapshot) snapshot (visag makes workers only on the test driver)")
                    }
                    worker.domain = try TestDriverWorkers.create(named: name, in: connection)
                    worker.createdByRun = true
                }
                inventory.workers.append(worker)
            }
            for node in 0..<plane.nodeCount {
                var ordinal = Int32(plane.workers(on: NodeID(node)).count) + 1
                while true {
                    let name = WorkerNaming.domainName(node: NodeID(node), ordinal: ordinal)
                    do {
                        inventory.extras.append(try connection.lookupDomain(name: name))
                    } catch let error as LibvirtError where error.isNotFound {
                        break
                    }
                    ordinal += 1
                }
            }
        } catch {
            inventory.removeCreatedDomains(connection: connection, log: log)
            if let error = error as? RealRunError { throw error }
            throw RealRunError.workers("could not set up the worker VMs: \(error)")
        }
        if !inventory.extras.isEmpty {
            log.line("found \(inventory.extras.count) worker VM(s) the scenario does not start with ("
                     + inventory.extras.map(\.name).joined(separator: ", ") + "): reverted, not used")
        }
        return inventory
    }

    // MARK: Lookups

    func worker(_ vm: VMID) -> Worker? {
        Int(vm.index) < workers.count ? workers[Int(vm.index)] : nil
    }

    func domain(of vm: VMID) -> LibvirtDomain? { worker(vm)?.domain }
    func guest(of vm: VMID) -> GuestTarget? { worker(vm)?.guest }
    func name(of vm: VMID) -> String { worker(vm)?.name ?? "\(vm)" }

    // MARK: Changes

    /// `.defineVM`: Model created a VM for a clone; its domain comes with the clone.
    mutating func define(_ vm: VMID, on node: NodeID, ordinal: Int32) {
        precondition(Int(vm.index) == workers.count, "Model defines VMs in order: expected vm\(workers.count), got \(vm)")
        workers.append(Worker(vm: vm, node: node, ordinal: ordinal, name: WorkerNaming.domainName(node: node, ordinal: ordinal)))
    }

    mutating func attachClone(_ vm: VMID, domain: LibvirtDomain) {
        workers[Int(vm.index)].domain = domain
        workers[Int(vm.index)].createdByRun = true
        workers[Int(vm.index)].touched = true
    }

    mutating func touch(_ vm: VMID) {
        guard Int(vm.index) < workers.count else { return }
        workers[Int(vm.index)].touched = true
    }

    mutating func objectLaunched(on vm: VMID, app: AppID) {
        workers[Int(vm.index)].touched = true
        workers[Int(vm.index)].usedSinceRevert = true
        workers[Int(vm.index)].applicationsServed.insert(app)
        workers[Int(vm.index)].objectsRunning += 1
    }

    mutating func objectStopped(on vm: VMID) {
        workers[Int(vm.index)].objectsRunning = max(0, workers[Int(vm.index)].objectsRunning - 1)
    }

    mutating func keyWritten(to vm: VMID) {
        workers[Int(vm.index)].touched = true
        workers[Int(vm.index)].usedSinceRevert = true
    }

    mutating func vmKeyFetched(_ vm: VMID, key: String) { workers[Int(vm.index)].vmKey = key }

    /// The worker's SSH host key as fetched from its guest, without the comment (nil: not fetched yet).
    func hostKey(of vm: VMID) -> String? {
        guard let key = worker(vm)?.vmKey else { return nil }
        return key.split(separator: " ").prefix(2).joined(separator: " ")
    }

    mutating func allObjectsStopped() {
        for i in workers.indices { workers[i].objectsRunning = 0 }
    }

    /// A hypervisor call on `vm` returned.
    mutating func record(_ vm: VMID, operation: HypervisorOperation, origin: HypervisorCallRecord.Origin,
                         succeeded: Bool, wallSeconds: Double, error: String?) {
        let i = Int(vm.index)
        workers[i].touched = true
        workers[i].lastOperation = operation.name
        workers[i].lastOperationSucceeded = succeeded
        if !succeeded { workers[i].failedCalls += 1 }
        switch operation {
        case .revert:
            workers[i].revertCalls += 1
            switch origin {
            case .model: workers[i].modelRevertCalls += 1
            case .cleanup: workers[i].cleanupReverts += 1
            case .recovery: break
            }
            if succeeded { workers[i].usedSinceRevert = false }
        case .boot, .resume:
            // Neither cleans the guest: `usedSinceRevert` stays what it was.
            break
        case .suspend, .shutdown, .clone:
            break
        }
        calls.append(HypervisorCallRecord(vm: vm, domain: workers[i].name, operation: operation.name, origin: origin,
                                          succeeded: succeeded, wallSeconds: wallSeconds, error: error))
    }

    mutating func recordExtraRevert(_ domain: LibvirtDomain, succeeded: Bool, wallSeconds: Double, error: String?) {
        calls.append(HypervisorCallRecord(vm: nil, domain: domain.name, operation: "revert", origin: .recovery,
                                          succeeded: succeeded, wallSeconds: wallSeconds, error: error))
    }

    /// Removes the domains this run made (with their volumes); returns their names.
    @discardableResult
    mutating func removeCreatedDomains(connection: LibvirtConnection, log: DriverLog) -> [String] {
        var removed: [String] = []
        for i in workers.indices where workers[i].createdByRun {
            guard let domain = workers[i].domain else { continue }
            do {
                try DomainRemoval.remove(domain, in: connection)
                removed.append(domain.name)
            } catch {
                log.line("could not remove \(domain.name), which this run created: \(error)")
            }
            workers[i].domain = nil
        }
        return removed
    }
}
