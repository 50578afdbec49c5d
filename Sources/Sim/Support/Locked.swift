import Foundation

/// A value shared between threads, read and written only under its lock (used by the
/// parallel seed checks, the real driver and the benchmarks).
///
/// `@unchecked Sendable`: `value` is touched only inside `withLock`, which holds `lock`.
public final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
