import CLibvirt
import Foundation

/// A storage pool (`virStoragePoolPtr`): where worker disks live when libvirt manages them.
public final class LibvirtStoragePool: @unchecked Sendable {
    public let name: String
    public let connection: LibvirtConnection
    let handle: OpaquePointer

    /// Takes ownership of `handle`; freed in deinit. Sendable for the same reason as `LibvirtConnection`:
    /// every call goes through the connection's lock.
    init(handle: OpaquePointer, connection: LibvirtConnection) {
        self.handle = handle
        self.connection = connection
        self.name = virStoragePoolGetName(handle).map { String(cString: $0) } ?? ""
    }

    deinit {
        virStoragePoolFree(handle)
    }

    public func lookupVolume(name volumeName: String) throws -> LibvirtStorageVolume {
        let operation = "look up storage volume \"\(volumeName)\" in pool \"\(name)\""
        return try connection.withHandle(operation) { connection in
            guard let volume = virStorageVolLookupByName(handle, volumeName) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            return try LibvirtStorageVolume(adopting: volume, connection: self.connection, rawConnection: connection)
        }
    }

    /// Volume names, sorted.
    public func volumeNames() throws -> [String] {
        let operation = "list volumes of pool \"\(name)\""
        return try connection.withHandle(operation) { connection in
            var volumes: UnsafeMutablePointer<OpaquePointer?>?
            let count = virStoragePoolListAllVolumes(handle, &volumes, 0)
            try check(count, operation, connection: connection)
            defer { free(volumes) }
            var names: [String] = []
            for index in 0..<Int(count) {
                guard let volume = volumes?[index] else { continue }
                if let name = virStorageVolGetName(volume) { names.append(String(cString: name)) }
                virStorageVolFree(volume)
            }
            return names.sorted()
        }
    }

    /// Creates a volume from its XML (`virStorageVolCreateXML`).
    public func createVolume(xml: String) throws -> LibvirtStorageVolume {
        let operation = "create a volume in pool \"\(name)\""
        return try connection.withHandle(operation) { connection in
            guard let volume = virStorageVolCreateXML(handle, xml, 0) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            return try LibvirtStorageVolume(
                adopting: volume, connection: self.connection, rawConnection: connection, deleteIfUndescribable: true)
        }
    }
}

/// A storage volume (`virStorageVolPtr`), e.g. one worker disk.
public final class LibvirtStorageVolume: @unchecked Sendable {
    public let name: String
    /// The volume's target path: what a `<disk type='file'>` names in its `<source file=…>`.
    public let path: String
    public let connection: LibvirtConnection
    let handle: OpaquePointer

    /// Takes ownership of `handle` and frees it in deinit, or right away when it cannot be described; then a
    /// volume this layer just created is deleted first (`deleteIfUndescribable`), as nobody could delete it later.
    /// Must run under the connection's lock (`rawConnection` is the locked handle).
    init(
        adopting handle: OpaquePointer, connection: LibvirtConnection, rawConnection: OpaquePointer,
        deleteIfUndescribable: Bool = false
    ) throws {
        let volumeName = virStorageVolGetName(handle).map { String(cString: $0) } ?? ""
        guard let path = takeString(virStorageVolGetPath(handle)) else {
            let error = LibvirtError.last(
                operation: "read the path of storage volume \"\(volumeName)\"", connection: rawConnection)
            if deleteIfUndescribable { virStorageVolDelete(handle, 0) }
            virStorageVolFree(handle)
            throw error
        }
        self.handle = handle
        self.connection = connection
        self.name = volumeName
        self.path = path
    }

    deinit {
        virStorageVolFree(handle)
    }

    public func xml() throws -> String {
        let operation = "read the XML of storage volume \"\(name)\""
        return try connection.withHandle(operation) { connection in
            guard let xml = takeString(virStorageVolGetXMLDesc(handle, 0)) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            return xml
        }
    }

    /// The name of the pool holding this volume.
    public func poolName() throws -> String {
        let operation = "find the pool of storage volume \"\(name)\""
        return try connection.withHandle(operation) { connection in
            guard let pool = virStoragePoolLookupByVolume(handle) else {
                throw LibvirtError.last(operation: operation, connection: connection)
            }
            defer { virStoragePoolFree(pool) }
            return virStoragePoolGetName(pool).map { String(cString: $0) } ?? ""
        }
    }

    public func capacityBytes() throws -> UInt64 {
        let operation = "read the size of storage volume \"\(name)\""
        return try connection.withHandle(operation) { connection in
            var info = virStorageVolInfo()
            try check(virStorageVolGetInfo(handle, &info), operation, connection: connection)
            return UInt64(info.capacity)
        }
    }

    /// Deletes the volume's storage (`virStorageVolDelete`). The object stays valid only for freeing.
    public func delete() throws {
        let operation = "delete storage volume \"\(name)\""
        try connection.withHandle(operation) { connection in
            try check(virStorageVolDelete(handle, 0), operation, connection: connection)
        }
    }
}
