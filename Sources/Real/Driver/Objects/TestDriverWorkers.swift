import Foundation

/// Worker domains made for a run on libvirt's in-process test driver (`test:///default`), which has no guest,
/// no disk I/O and a storage pool of its own (`default-pool`). Only used when that driver is the target.
enum TestDriverWorkers {
    static let poolName = "default-pool"
    static let volumeCapacityMiB = 1
    static let memoryMiB = 128

    static func isTestDriver(uri: String) -> Bool { uri.hasPrefix("test:") }

    static func volumeName(forDomain name: String) -> String { "\(name).img" }

    /// The template: one pool volume as its disk, one user-mode interface (which creates no libvirt network).
    /// Worker names are `node<i>_worker<k>`, which need no XML escaping.
    static func domainXML(name: String) -> String {
        """
        <domain type='test'><name>\(name)</name><memory unit='MiB'>\(memoryMiB)</memory><vcpu>1</vcpu>\
        <os><type>hvm</type></os><devices>\
        <disk type='volume' device='disk'><source pool='\(poolName)' volume='\(volumeName(forDomain: name))'/>\
        <target dev='vda'/></disk><interface type='user'/></devices></domain>
        """
    }

    static func volumeXML(name: String) -> String {
        "<volume><name>\(name)</name><capacity unit='MiB'>\(volumeCapacityMiB)</capacity>"
            + "<target><format type='raw'/></target></volume>"
    }

    /// Defines the worker from the template, starts it and takes its clean snapshot while it runs. A volume of the
    /// same name left by an earlier run is reused. On failure nothing it made is left behind.
    static func create(named name: String, in connection: LibvirtConnection) throws -> LibvirtDomain {
        let pool = try connection.lookupStoragePool(name: poolName)
        let volumeName = volumeName(forDomain: name)
        var createdVolume: LibvirtStorageVolume?
        do {
            _ = try pool.lookupVolume(name: volumeName)
        } catch let error as LibvirtError where error.isNotFound {
            createdVolume = try pool.createVolume(xml: volumeXML(name: volumeName))
        }
        var defined: LibvirtDomain?
        do {
            let domain = try connection.defineDomain(xml: domainXML(name: name))
            defined = domain
            try domain.start()
            try domain.createSnapshot(
                name: WorkerNaming.cleanSnapshot, description: "clean state of a visag worker (test driver)")
            return domain
        } catch {
            if let defined { try? DomainRemoval.remove(defined, in: connection) } else { try? createdVolume?.delete() }
            throw error
        }
    }
}

/// Removes a domain the run made, with the pool volumes that are its disks.
enum DomainRemoval {
    static func remove(_ domain: LibvirtDomain, in connection: LibvirtConnection) throws {
        let disks = (try? DomainXML(xml: domain.xml()).disks) ?? []
        if try domain.state() != .shutoff { try domain.destroy() }
        try domain.undefine()
        for disk in disks where disk.needsOwnCopy {
            let volume: LibvirtStorageVolume?
            switch disk.source {
            case .volume(let pool, let name): volume = try? connection.lookupStorageVolume(pool: pool, name: name)
            case .file(let path), .block(let path): volume = try? connection.lookupStorageVolume(path: path)
            case .unsupported: volume = nil
            }
            try volume?.delete()
        }
    }
}
