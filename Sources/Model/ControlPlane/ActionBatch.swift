/// The actions one event produced, in order. Drivers swap their batch with the plane's outbox
/// (`ControlPlane.drainActions(into:)`) and perform it; both batches keep their storage, and
/// clearing one sets a count instead of destroying elements (actions are plain values), because
/// this happens several times per event on a simulator's hot path.
public struct ActionBatch: RandomAccessCollection {
    private var storage: [Action] = []
    public private(set) var count = 0

    public init(capacity: Int = 0) { storage.reserveCapacity(capacity) }

    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(position: Int) -> Action {
        precondition(position >= 0 && position < count, "action \(position) of \(count)")
        return storage[position]
    }

    mutating func append(_ action: Action) {
        if count < storage.count {
            storage[count] = action
        } else {
            storage.append(action)
        }
        count += 1
    }

    mutating func removeAll() { count = 0 }
}
