/// POPCloner: clones one VM at a time in the background. Requests wait in FIFO order.
struct Cloner: Equatable {
    /// (source, target) of the clone in progress.
    private(set) var current: (source: VMID, target: VMID)?
    private(set) var waiting: [(source: VMID, target: VMID)] = []
    private var waitingHead = 0

    enum Action: Equatable {
        case startClone(source: VMID, target: VMID)
        case wait
    }

    var isIdle: Bool { current == nil && waitingHead == waiting.count }
    var queued: Int { waiting.count - waitingHead + (current == nil ? 0 : 1) }

    mutating func cloneRequested(source: VMID, target: VMID) -> Action {
        if current == nil {
            current = (source, target)
            return .startClone(source: source, target: target)
        }
        waiting.append((source, target))
        return .wait
    }

    /// The clone in progress ended (whether or not it called back); the next one starts.
    mutating func cloneEnded(target: VMID) -> Action {
        guard let running = current, running.target == target else {
            preconditionFailure("cloneEnded(\(target)) while cloning \(String(describing: current))")
        }
        current = nil
        guard waitingHead < waiting.count else {
            waiting.removeAll(keepingCapacity: true)
            waitingHead = 0
            return .wait
        }
        let next = waiting[waitingHead]
        waitingHead += 1
        current = next
        return .startClone(source: next.source, target: next.target)
    }

    static func == (a: Cloner, b: Cloner) -> Bool {
        a.current?.source == b.current?.source && a.current?.target == b.current?.target && a.queued == b.queued
    }
}
