import CLibvirt
import Foundation
import Model

/// A domain's state as `virDomainGetState` reports it, folded to what the control plane distinguishes.
public enum DomainState: Equatable, Sendable {
    /// Running, or running but blocked on a resource.
    case running
    /// Paused by the host (`virDomainSuspend`): ViSaG's "suspended".
    case paused
    /// Not running (also: being shut down is reported as `.other` until it is off).
    case shutoff
    case crashed
    /// Any other libvirt state (no state, shutting down, suspended by the guest's power management), raw value kept.
    case other(Int32)

    init(libvirtState raw: Int32) {
        switch UInt32(bitPattern: raw) {
        case VIR_DOMAIN_RUNNING.rawValue, VIR_DOMAIN_BLOCKED.rawValue: self = .running
        case VIR_DOMAIN_PAUSED.rawValue: self = .paused
        case VIR_DOMAIN_SHUTOFF.rawValue: self = .shutoff
        case VIR_DOMAIN_CRASHED.rawValue: self = .crashed
        default: self = .other(raw)
        }
    }

    /// The control plane's power state; nil where it has none (a crashed or transitional machine, which the
    /// driver must resolve, e.g. by reverting, before reporting).
    public var powerState: PowerState? {
        switch self {
        case .running: .running
        case .paused: .suspended
        case .shutoff: .off
        case .crashed: nil
        case .other: nil
        }
    }
}

/// Where `interfaceAddresses(source:)` asks for a domain's addresses.
public enum InterfaceAddressSource: Sendable {
    /// libvirt's DHCP leases (only for interfaces on a libvirt-managed network).
    case lease
    /// The guest agent inside the VM (the counterpart of the VMware Tools variable the original read).
    case agent
    /// The host's ARP table (only addresses the host has recently talked to).
    case arp

    var libvirtValue: UInt32 {
        switch self {
        case .lease: VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_LEASE.rawValue
        case .agent: VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT.rawValue
        case .arp: VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_ARP.rawValue
        }
    }
}

/// One libvirt domain (`virDomainPtr`): a worker VM.
///
/// `@unchecked Sendable` for the same reason as `LibvirtConnection`: every call goes through the connection's
/// lock. Holding the connection keeps it open for as long as any of its domains is in use.
public final class LibvirtDomain: @unchecked Sendable {
    public let name: String
    public let uuidString: String
    public let connection: LibvirtConnection
    let handle: OpaquePointer

    /// Takes ownership of `handle`; freed in deinit.
    init(handle: OpaquePointer, connection: LibvirtConnection) {
        self.handle = handle
        self.connection = connection
        self.name = virDomainGetName(handle).map { String(cString: $0) } ?? ""
        // VIR_UUID_STRING_BUFLEN: 36 characters and the terminator.
        var buffer = [CChar](repeating: 0, count: 37)
        let filled = virDomainGetUUIDString(handle, &buffer) == 0
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        self.uuidString = filled ? String(decoding: bytes, as: UTF8.self) : ""
    }

    deinit {
        virDomainFree(handle)
    }

    // MARK: State and power

    public func state() throws -> DomainState {
        try call("read state") { domain -> DomainState? in
            var state: Int32 = 0
            var reason: Int32 = 0
            guard virDomainGetState(domain, &state, &reason, 0) == 0 else { return nil }
            return DomainState(libvirtState: state)
        }
    }

    public func start() throws { try status("start") { virDomainCreate($0) } }
    public func suspend() throws { try status("suspend") { virDomainSuspend($0) } }
    public func resume() throws { try status("resume") { virDomainResume($0) } }
    /// Asks the guest to shut down (ACPI). On a real hypervisor this returns before the domain is off.
    public func shutdown() throws { try status("shut down") { virDomainShutdown($0) } }
    /// Powers the domain off at once.
    public func destroy() throws { try status("destroy") { virDomainDestroy($0) } }

    /// Removes the definition together with its snapshot metadata and managed-save image, which would otherwise
    /// make libvirt refuse. Disk volumes are left alone.
    public func undefine() throws {
        let flags = VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA.rawValue | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE.rawValue
        try status("undefine") { virDomainUndefineFlags($0, flags) }
    }

    // MARK: Definition

    /// The current definition (the live one while running).
    public func xml() throws -> String { try xml(flags: 0) }

    func xml(flags: UInt32) throws -> String {
        try call("read XML") { takeString(virDomainGetXMLDesc($0, flags)) }
    }

    public func macAddresses() throws -> [String] {
        try DomainXML(xml: xml()).macAddresses
    }

    /// The IP addresses (without prefix length) libvirt finds for the domain's interfaces, in libvirt's order.
    ///
    /// The test driver (`test:///default`) answers every source with made-up 192.168.x addresses: they belong to
    /// no machine and must never be connected to.
    public func interfaceAddresses(source: InterfaceAddressSource) throws -> [String] {
        try call("read interface addresses") { domain -> [String]? in
            var interfaces: UnsafeMutablePointer<virDomainInterfacePtr?>?
            let count = virDomainInterfaceAddresses(domain, &interfaces, source.libvirtValue, 0)
            if count < 0 { return nil }
            defer { free(interfaces) }
            var addresses: [String] = []
            for index in 0..<Int(count) {
                guard let interface = interfaces?[index] else { continue }
                for addressIndex in 0..<Int(interface.pointee.naddrs) {
                    if let address = interface.pointee.addrs[addressIndex].addr {
                        addresses.append(String(cString: address))
                    }
                }
                virDomainInterfaceFree(interface)
            }
            return addresses
        }
    }

    // MARK: Snapshots

    public func createSnapshot(name snapshotName: String, description: String? = nil) throws {
        let definition = DomainXML.snapshotDefinition(name: snapshotName, description: description)
        try call("create snapshot \"\(snapshotName)\"") { domain -> Bool? in
            guard let snapshot = virDomainSnapshotCreateXML(domain, definition, 0) else { return nil }
            virDomainSnapshotFree(snapshot)
            return true
        }
    }

    /// Snapshot names, sorted. Drivers without `virDomainListAllSnapshots` (esx://) are asked the older way.
    public func snapshotNames() throws -> [String] {
        do {
            return try call("list snapshots") { domain -> [String]? in
                var snapshots: UnsafeMutablePointer<OpaquePointer?>?
                let count = virDomainListAllSnapshots(domain, &snapshots, 0)
                if count < 0 { return nil }
                defer { free(snapshots) }
                var names: [String] = []
                for index in 0..<Int(count) {
                    guard let snapshot = snapshots?[index] else { continue }
                    if let name = virDomainSnapshotGetName(snapshot) { names.append(String(cString: name)) }
                    virDomainSnapshotFree(snapshot)
                }
                return names.sorted()
            }
        } catch let error as LibvirtError where error.isUnsupported {
            return try listedSnapshotNames()
        }
    }

    /// `virDomainSnapshotNum` and `virDomainSnapshotListNames`; a snapshot taken between the two calls is missed.
    private func listedSnapshotNames() throws -> [String] {
        try call("list snapshot names") { domain -> [String]? in
            let count = virDomainSnapshotNum(domain, 0)
            if count < 0 { return nil }
            if count == 0 { return [] }
            var buffer = [UnsafeMutablePointer<CChar>?](repeating: nil, count: Int(count))
            let listed = virDomainSnapshotListNames(domain, &buffer, count, 0)
            if listed < 0 { return nil }
            defer { for name in buffer { free(name) } }
            return buffer.prefix(Int(listed)).compactMap { $0.map { String(cString: $0) } }.sorted()
        }
    }

    /// Reverts to the snapshot, which restores the power state it was taken in (a snapshot of a running domain
    /// leaves it running).
    public func revert(toSnapshot snapshotName: String) throws {
        try withSnapshot(snapshotName, operation: "revert to snapshot \"\(snapshotName)\"") {
            virDomainRevertToSnapshot($0, 0)
        }
    }

    public func deleteSnapshot(name snapshotName: String) throws {
        try withSnapshot(snapshotName, operation: "delete snapshot \"\(snapshotName)\"") {
            virDomainSnapshotDelete($0, 0)
        }
    }

    // MARK: Calls

    private func withSnapshot(_ snapshotName: String, operation: String, _ body: (OpaquePointer) -> Int32) throws {
        try connection.withHandle(operation, domainName: name) { connection in
            guard let snapshot = virDomainSnapshotLookupByName(handle, snapshotName, 0) else {
                throw LibvirtError.last(operation: operation, domainName: name, connection: connection)
            }
            defer { virDomainSnapshotFree(snapshot) }
            try check(body(snapshot), operation, domainName: name, connection: connection)
        }
    }

    /// A call returning libvirt's status (negative on failure).
    private func status(_ operation: String, _ body: (OpaquePointer) -> Int32) throws {
        try connection.withHandle(operation, domainName: name) { connection in
            try check(body(handle), operation, domainName: name, connection: connection)
        }
    }

    /// A call whose result is nil on failure.
    @discardableResult
    private func call<Result>(_ operation: String, _ body: (OpaquePointer) -> Result?) throws -> Result {
        try connection.withHandle(operation, domainName: name) { connection in
            guard let result = body(handle) else {
                throw LibvirtError.last(operation: operation, domainName: name, connection: connection)
            }
            return result
        }
    }
}
