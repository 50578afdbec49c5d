import CLibvirt
import Foundation

extension LibvirtDomain {
    /// How many times cloning tries to get the source shut off (the original's "3 tries"): two graceful
    /// shutdowns, then a forced power-off.
    static let shutOffAttemptsMax = 3
    /// A forced power-off is synchronous in libvirt; this only bounds the wait for the state to show it.
    static let destroyWaitSeconds = 5.0

    /// Clones this domain as `newName` (reference flow 7, done with libvirt instead of copying VMware folders).
    ///
    /// 1. The source is shut off: a running source is asked to shut down, twice, each time waited for up to
    ///    `shutdownWaitSeconds`; then, or at once for a paused or crashed source, it is destroyed.
    /// 2. Each writable hard disk that is a volume of a storage pool is copied into the same pool
    ///    (`virStorageVolCreateXMLFrom`). A disk outside any pool is left as it is and shared with the clone,
    ///    which is right for install media and wrong for a writable disk: a warning says so.
    /// 3. The clone is defined from the source's inactive XML with the new name, no `<uuid>` (libvirt makes a new
    ///    one), a fresh MAC per interface (`DomainXML.macAddress(forDomain:interfaceIndex:)`) and the copied disks.
    ///
    /// The clone has no snapshots (libvirt's snapshot metadata belongs to the source); the caller takes a clean one.
    /// If any step fails, everything done so far is undone (the clone undefined, copied volumes deleted) and the
    /// step's error is thrown: there is never a half clone. `connection` must reach the same host as the source.
    public func clone(
        as newName: String, in connection: LibvirtConnection, shutdownWaitSeconds: Double = 30
    ) throws -> LibvirtDomain {
        LibvirtConnection.logger.info("libvirt: cloning domain", metadata: ["source": "\(name)", "clone": "\(newName)"])
        try shutOffForCloning(waitSecondsPerAttempt: shutdownWaitSeconds)
        let flags = VIR_DOMAIN_XML_INACTIVE.rawValue | VIR_DOMAIN_XML_SECURE.rawValue
        let sourceXML = try xml(flags: flags)
        let source = try DomainXML(xml: sourceXML)

        var copiedVolumes: [LibvirtStorageVolume] = []
        var defined: LibvirtDomain?
        do {
            var diskSources: [String: DomainXML.Disk.Source] = [:]
            for disk in source.disks where disk.needsOwnCopy {
                guard let volume = try storageVolume(of: disk, in: connection) else { continue }
                let copyName = Self.cloneVolumeName(
                    of: volume.name, sourceDomain: name, newDomain: newName, targetDevice: disk.targetDevice)
                let copy = try connection.cloneVolume(from: volume, newName: copyName)
                copiedVolumes.append(copy)
                diskSources[disk.targetDevice] = Self.source(pointingAt: copy, like: disk.source)
            }
            let macs = source.interfaceMACs.indices.map {
                DomainXML.macAddress(forDomain: newName, interfaceIndex: $0)
            }
            let cloneXML = try DomainXML.cloneDefinition(
                of: sourceXML, newName: newName, macAddresses: macs, diskSources: diskSources)
            let clone = try connection.defineDomain(xml: cloneXML)
            defined = clone
            try Self.verify(clone: clone, source: self, macAddresses: macs)
            LibvirtConnection.logger.info(
                "libvirt: cloned domain",
                metadata: ["source": "\(name)", "clone": "\(newName)", "volumes": "\(copiedVolumes.count)"])
            return clone
        } catch {
            Self.undoClone(named: newName, defined: defined, copiedVolumes: copiedVolumes)
            throw error
        }
    }

    /// The copy's name: the source volume's name with the source domain's name replaced by the clone's
    /// (`node0_worker1.qcow2` → `node0_worker2.qcow2`), or `<clone>-<target device><extension>` when the
    /// volume's name does not contain the domain's.
    static func cloneVolumeName(
        of volumeName: String, sourceDomain: String, newDomain: String, targetDevice: String
    ) -> String {
        if !sourceDomain.isEmpty, volumeName.contains(sourceDomain) {
            return volumeName.replacingOccurrences(of: sourceDomain, with: newDomain)
        }
        let fileExtension = volumeName.lastIndex(of: ".").map { String(volumeName[$0...]) } ?? ""
        return "\(newDomain)-\(targetDevice)\(fileExtension)"
    }

    // MARK: Steps

    private func shutOffForCloning(waitSecondsPerAttempt: Double) throws {
        var lastError: LibvirtError?
        for attempt in 1...Self.shutOffAttemptsMax {
            let graceful: Bool
            switch try state() {
            case .shutoff: return
            // A guest that is shutting down (`.other`) is given the same chance as a running one.
            case .running, .other: graceful = attempt < Self.shutOffAttemptsMax
            // Neither a paused nor a crashed guest can act on a shutdown request.
            case .paused, .crashed: graceful = false
            }
            do {
                if graceful { try shutdown() } else { try destroy() }
            } catch let error as LibvirtError {
                lastError = error
                continue
            }
            if try waitUntilShutOff(seconds: graceful ? waitSecondsPerAttempt : Self.destroyWaitSeconds) { return }
        }
        if try state() == .shutoff { return }
        throw lastError ?? LibvirtError.local(
            VIR_ERR_OPERATION_TIMEOUT, operation: "shut down before cloning", domainName: name,
            message: "still not shut off after \(Self.shutOffAttemptsMax) tries")
    }

    /// Polls the state every 100 ms: libvirt's shutdown returns before the guest is off.
    private func waitUntilShutOff(seconds: Double) throws -> Bool {
        let deadline = ContinuousClock.now + .milliseconds(Int64(seconds * 1000))
        while true {
            if try state() == .shutoff { return true }
            if ContinuousClock.now >= deadline { return false }
            Thread.sleep(forTimeInterval: 0.1)
        }
    }

    /// The pool volume behind `disk`, or nil for a file or device that no pool holds.
    private func storageVolume(
        of disk: DomainXML.Disk, in connection: LibvirtConnection
    ) throws -> LibvirtStorageVolume? {
        let path: String
        switch disk.source {
        case .volume(let pool, let volume):
            return try connection.lookupStorageVolume(pool: pool, name: volume)
        case .file(let filePath), .block(let filePath):
            path = filePath
        case .unsupported(let type):
            LibvirtConnection.logger.warning(
                "libvirt: clone shares a disk it cannot copy",
                metadata: ["source": "\(name)", "disk": "\(disk.targetDevice)", "type": "\(type)"])
            return nil
        }
        do {
            return try connection.lookupStorageVolume(path: path)
        } catch let error as LibvirtError where error.isNotFound {
            LibvirtConnection.logger.warning(
                "libvirt: clone shares a writable disk that is in no storage pool",
                metadata: ["source": "\(name)", "disk": "\(disk.targetDevice)", "path": "\(path)"])
            return nil
        }
    }

    /// The copy named the way the source disk named the original (by pool and volume, or by path).
    private static func source(
        pointingAt copy: LibvirtStorageVolume, like original: DomainXML.Disk.Source
    ) -> DomainXML.Disk.Source {
        switch original {
        case .volume(let pool, _): .volume(pool: pool, volume: copy.name)
        case .block: .block(path: copy.path)
        case .file, .unsupported: .file(path: copy.path)
        }
    }

    /// What the rewrite promised, checked on what libvirt defined.
    private static func verify(clone: LibvirtDomain, source: LibvirtDomain, macAddresses: [String]) throws {
        let cloneMACs = try clone.macAddresses()
        guard clone.uuidString != source.uuidString, cloneMACs == macAddresses else {
            throw LibvirtError.local(
                VIR_ERR_INTERNAL_ERROR, operation: "check the clone", domainName: clone.name,
                message: "the defined clone does not have a new UUID and the requested MAC addresses")
        }
    }

    private static func undoClone(named newName: String, defined: LibvirtDomain?, copiedVolumes: [LibvirtStorageVolume]) {
        LibvirtConnection.logger.warning("libvirt: undoing a failed clone", metadata: ["clone": "\(newName)"])
        if let defined {
            do { try defined.undefine() } catch {
                LibvirtConnection.logger.error("libvirt: undo left the clone defined: \(error)")
            }
        }
        for volume in copiedVolumes.reversed() {
            do { try volume.delete() } catch {
                LibvirtConnection.logger.error("libvirt: undo left a copied volume: \(error)")
            }
        }
    }
}
