/// Dense integer identities. Every table in Model is an array indexed by one of these,
/// so the per-event path never hashes or allocates.

public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int32
    public init(_ index: Int) { self.index = Int32(index) }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
    public var description: String { "node\(index)" }
}

/// A worker VM, numbered grid-wide in the order Model created it.
public struct VMID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int32
    public init(_ index: Int) { self.index = Int32(index) }
    public static func < (a: VMID, b: VMID) -> Bool { a.index < b.index }
    public var description: String { "vm\(index)" }
}

/// A POPAppID: created by the AppService of the application's main node.
public struct AppID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int32
    public init(_ index: Int) { self.index = Int32(index) }
    public static func < (a: AppID, b: AppID) -> Bool { a.index < b.index }
    public var description: String { "app\(index)" }
}

/// A parallel object of an application; an application's objects have consecutive ids.
public struct ObjectID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int32
    public init(_ index: Int) { self.index = Int32(index) }
    public static func < (a: ObjectID, b: ObjectID) -> Bool { a.index < b.index }
    public var description: String { "obj\(index)" }
}

/// A discovery request id, `<node>__<counter>` in the original.
public struct RequestID: Hashable, Sendable, CustomStringConvertible {
    public let origin: NodeID
    public let counter: UInt32
    public init(origin: NodeID, counter: UInt32) { self.origin = origin; self.counter = counter }
    public var description: String { "\(origin.index)__\(counter)" }
}

/// An IPv4 address (as a 32-bit value) handed out by a DHCP area. Zero is never a valid address.
public struct Address: Hashable, Sendable, CustomStringConvertible {
    public let raw: UInt32
    public init(_ raw: UInt32) { precondition(raw != 0, "address 0 is reserved"); self.raw = raw }
    public var description: String {
        "\(raw >> 24).\((raw >> 16) & 0xff).\((raw >> 8) & 0xff).\(raw & 0xff)"
    }
}
