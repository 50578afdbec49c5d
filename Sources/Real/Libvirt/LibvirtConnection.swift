import CLibvirt
import Foundation
import Logging

/// The host's size as libvirt reports it.
public struct NodeInfo: Equatable, Sendable {
    public var cpuModel: String
    public var cpuCount: Int
    public var cpuFrequencyMHz: Int
    public var memoryKiB: UInt64
}

/// One open libvirt connection (`virConnectPtr`).
///
/// `@unchecked Sendable` is sound because libvirt connections are thread-safe (libvirt locks its own objects),
/// and on top of that every call through this class takes `lock`, so one connection never runs two calls at
/// once and the mutable state here (`handle`, the event subscriptions) is only touched under the lock.
/// The calls are blocking: whoever drives a real hypervisor runs them off its event loop.
public final class LibvirtConnection: @unchecked Sendable {
    /// The URI the connection was opened with, with any user part left out so it can be logged.
    public let uri: String

    static let logger = Logger(label: "visag.real.libvirt")

    private let lock = NSLock()
    /// nil once closed. Guarded by `lock`.
    private var handle: OpaquePointer?
    /// Event registrations to drop on close. Guarded by `lock`.
    private var lifecycleCallbackIDs: Set<Int32> = []

    /// Opens `uri`. With a username or password, libvirt's authentication questions are answered from them
    /// (`virConnectOpenAuth`); otherwise `virConnectOpen`. The event loop is started first so that lifecycle
    /// events work on this connection. The process's first connection loads libvirt; without it, this throws.
    public init(uri: String, username: String? = nil, password: String? = nil) throws {
        self.uri = Self.withoutUserInfo(uri)
        let operation = "open connection to \(self.uri)"
        try LibvirtLibrary.requireLoaded(operation: operation)
        LibvirtEvents.startDefaultLoop()
        let opened: OpaquePointer?
        if username != nil || password != nil {
            opened = Self.openAuthenticated(uri: uri, username: username, password: password)
        } else {
            opened = virConnectOpen(uri)
        }
        guard let opened else {
            // A very short username is left in: blanking every "a" would make the message useless, and a username
            // is not a secret the way a password is.
            let secrets = [password, username.flatMap { $0.count >= 3 ? $0 : nil }].compactMap { $0 }
            throw LibvirtError.last(operation: operation, secrets: secrets)
        }
        handle = opened
        Self.logger.debug("libvirt connection opened", metadata: ["uri": "\(self.uri)"])
    }

    deinit {
        close()
    }

    /// Drops the event subscriptions and closes the connection. Objects looked up through it keep libvirt's
    /// connection alive until they are freed, but every call through them throws from now on. Idempotent.
    public func close() {
        lock.lock()
        defer { lock.unlock() }
        guard let open = handle else { return }
        for callbackID in lifecycleCallbackIDs.sorted() {
            // The handler's context is released by libvirt's free callback once the event loop is done with it.
            if virConnectDomainEventDeregisterAny(open, callbackID) < 0 {
                let error = LibvirtError.last(operation: "deregister lifecycle events", connection: open)
                Self.logger.warning("\(error.description)")
            }
        }
        lifecycleCallbackIDs.removeAll()
        virConnectClose(open)
        handle = nil
        Self.logger.debug("libvirt connection closed", metadata: ["uri": "\(uri)"])
    }

    public var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return handle == nil
    }

    // MARK: Host

    public func nodeInfo() throws -> NodeInfo {
        try withHandle("read node info") { connection in
            var info = virNodeInfo()
            try check(virNodeGetInfo(connection, &info), "read node info", connection: connection)
            let model = withUnsafeBytes(of: info.model) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            return NodeInfo(
                cpuModel: model, cpuCount: Int(info.cpus), cpuFrequencyMHz: Int(info.mhz),
                memoryKiB: UInt64(info.memory))
        }
    }

    public func freeMemoryBytes() throws -> UInt64 {
        try withHandle("read free memory") { connection in
            let freeBytes = virNodeGetFreeMemory(connection)
            // 0 is libvirt's only failure signal here; a host with truly no free memory is not a case we serve.
            if freeBytes == 0 { throw LibvirtError.last(operation: "read free memory", connection: connection) }
            return UInt64(freeBytes)
        }
    }

    // MARK: Domains

    public func lookupDomain(name: String) throws -> LibvirtDomain {
        let domain = try withHandle("look up", domainName: name) { connection in
            guard let domain = virDomainLookupByName(connection, name) else {
                throw LibvirtError.last(operation: "look up", domainName: name, connection: connection)
            }
            return domain
        }
        return LibvirtDomain(handle: domain, connection: self)
    }

    /// Names of every domain, running or not, sorted.
    public func listDomains() throws -> [String] {
        try withHandle("list domains") { connection in
            var domains: UnsafeMutablePointer<OpaquePointer?>?
            let count = virConnectListAllDomains(connection, &domains, 0)
            try check(count, "list domains", connection: connection)
            defer { free(domains) }
            var names: [String] = []
            for index in 0..<Int(count) {
                guard let domain = domains?[index] else { continue }
                if let name = virDomainGetName(domain) { names.append(String(cString: name)) }
                virDomainFree(domain)
            }
            return names.sorted()
        }
    }

    /// Defines (persistently registers, without starting) a domain from its XML.
    public func defineDomain(xml: String) throws -> LibvirtDomain {
        let domain = try withHandle("define", domainName: Self.declaredName(in: xml)) { connection in
            guard let domain = virDomainDefineXML(connection, xml) else {
                let error = LibvirtError.last(operation: "define", connection: connection)
                throw LibvirtError(
                    code: error.code, errorDomain: error.errorDomain, operation: error.operation,
                    domainName: Self.declaredName(in: xml), message: error.message)
            }
            return domain
        }
        return LibvirtDomain(handle: domain, connection: self)
    }

    /// The first `<name>` of a definition, only to label an error. A plain scan rather than a parse: the XML may be
    /// the very thing that is broken, and libxml2 prints parse errors of its own.
    static func declaredName(in xml: String) -> String? {
        guard let open = xml.range(of: "<name>"), let close = xml.range(of: "</name>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
    }

    // MARK: Storage

    public func lookupStoragePool(name: String) throws -> LibvirtStoragePool {
        let operation = "look up storage pool \"\(name)\""
        let pool = try withHandle(operation) { connection in
            guard let pool = virStoragePoolLookupByName(connection, name) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            return pool
        }
        return LibvirtStoragePool(handle: pool, connection: self)
    }

    /// The volume whose target is `path`, in whichever pool holds it.
    public func lookupStorageVolume(path: String) throws -> LibvirtStorageVolume {
        let operation = "look up storage volume at \"\(path)\""
        return try withHandle(operation) { connection in
            guard let volume = virStorageVolLookupByPath(connection, path) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            return try LibvirtStorageVolume(adopting: volume, connection: self, rawConnection: connection)
        }
    }

    public func lookupStorageVolume(pool poolName: String, name: String) throws -> LibvirtStorageVolume {
        try lookupStoragePool(name: poolName).lookupVolume(name: name)
    }

    /// Copies `source` into a new volume `newName` in the same pool (`virStorageVolCreateXMLFrom`), keeping its
    /// format and capacity.
    public func cloneVolume(from source: LibvirtStorageVolume, newName: String) throws -> LibvirtStorageVolume {
        let operation = "clone storage volume \"\(source.name)\" as \"\(newName)\""
        let sourceXML = try source.xml()
        let newXML = try VolumeXML.cloneDefinition(of: sourceXML, newName: newName)
        return try withHandle(operation) { connection in
            guard let pool = virStoragePoolLookupByVolume(source.handle) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            defer { virStoragePoolFree(pool) }
            guard let created = virStorageVolCreateXMLFrom(pool, newXML, source.handle, 0) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            return try LibvirtStorageVolume(
                adopting: created, connection: self, rawConnection: connection, deleteIfUndescribable: true)
        }
    }

    // MARK: Calls

    /// Runs `body` with the open `virConnectPtr`, one call at a time per connection.
    func withHandle<Result>(
        _ operation: @autoclosure () -> String,
        domainName: String? = nil,
        _ body: (OpaquePointer) throws -> Result
    ) throws -> Result {
        lock.lock()
        defer { lock.unlock() }
        guard let open = handle else {
            throw LibvirtError.local(
                VIR_ERR_INVALID_CONN, operation: operation(), domainName: domainName,
                message: "the connection to \(uri) is closed")
        }
        return try body(open)
    }

    /// Only for the lifecycle-event extension, which must register under the same lock.
    func recordLifecycleCallback(_ callbackID: Int32) { lifecycleCallbackIDs.insert(callbackID) }
    func forgetLifecycleCallback(_ callbackID: Int32) -> Bool { lifecycleCallbackIDs.remove(callbackID) != nil }

    // MARK: Authentication

    private final class Credentials {
        let username: String?
        let password: String?
        init(username: String?, password: String?) {
            self.username = username
            self.password = password
        }
    }

    private static func openAuthenticated(uri: String, username: String?, password: String?) -> OpaquePointer? {
        let credentials = Credentials(username: username, password: password)
        // libvirt calls back only during virConnectOpenAuth, so the context lives exactly as long as this call.
        return withExtendedLifetime(credentials) {
            var credentialTypes: [Int32] = [Int32(VIR_CRED_AUTHNAME.rawValue), Int32(VIR_CRED_PASSPHRASE.rawValue)]
            return credentialTypes.withUnsafeMutableBufferPointer { types in
                var auth = virConnectAuth(
                    credtype: types.baseAddress, ncredtype: UInt32(types.count),
                    cb: { requests, requestCount, context in
                        guard let requests, let context else { return -1 }
                        let credentials = Unmanaged<Credentials>.fromOpaque(context).takeUnretainedValue()
                        for index in 0..<Int(requestCount) {
                            let answer: String?
                            switch UInt32(bitPattern: requests[index].type) {
                            case VIR_CRED_AUTHNAME.rawValue: answer = credentials.username
                            case VIR_CRED_PASSPHRASE.rawValue: answer = credentials.password
                            default: answer = nil
                            }
                            // An unanswerable question fails the open cleanly rather than sending an empty secret.
                            guard let answer, let copy = strdup(answer) else { return -1 }
                            requests[index].result = copy
                            requests[index].resultlen = UInt32(strlen(copy))
                        }
                        return 0
                    },
                    cbdata: Unmanaged.passUnretained(credentials).toOpaque())
                return virConnectOpenAuth(uri, &auth, 0)
            }
        }
    }

    /// `qemu+ssh://user@host/system` → `qemu+ssh://host/system`: a user part never reaches a log or an error.
    static func withoutUserInfo(_ uri: String) -> String {
        guard let schemeEnd = uri.range(of: "://") else { return uri }
        let rest = uri[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        guard let at = rest[..<authorityEnd].lastIndex(of: "@") else { return uri }
        return String(uri[..<schemeEnd.upperBound]) + String(rest[rest.index(after: at)...])
    }
}

/// Throws libvirt's last error when a status-returning call reports failure (any negative value).
func check(
    _ status: Int32, _ operation: @autoclosure () -> String, domainName: String? = nil, connection: OpaquePointer
) throws {
    if status < 0 {
        throw LibvirtError.last(operation: operation(), domainName: domainName, connection: connection)
    }
}

/// Takes ownership of a malloc'd C string from libvirt.
func takeString(_ pointer: UnsafeMutablePointer<CChar>?) -> String? {
    guard let pointer else { return nil }
    defer { free(pointer) }
    return String(cString: pointer)
}
