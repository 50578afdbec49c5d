import Dispatch
import Sim

/// The driver's single thread of control: an inbox any thread may post to, taken in FIFO order, and timers on
/// the wall clock (`ContinuousClock`). Whoever calls `nextBatch` is the loop thread; Model lives there.
///
/// `@unchecked Sendable`: `inbox` is a `Locked`; `timers` is touched only by the loop thread (`schedule` and
/// `nextBatch` are documented as loop-only), so posting from other threads never races it.
final class EventLoop<Item: Sendable>: @unchecked Sendable {
    let clock = ContinuousClock()
    private let inbox = Locked<[Item]>([])
    /// Counts posts; a spare signal only costs one more look at an empty inbox.
    private let wakeup = DispatchSemaphore(value: 0)
    private var timers = TimerHeap<Item>()

    var pendingTimers: Int { timers.count }

    /// Any thread.
    func post(_ item: Item) {
        inbox.withLock { $0.append(item) }
        wakeup.signal()
    }

    /// Loop thread only.
    func schedule(_ item: Item, at deadline: ContinuousClock.Instant) {
        timers.push(item, at: deadline)
    }

    /// Loop thread only.
    func schedule(_ item: Item, afterWallSeconds seconds: Double) {
        schedule(item, at: clock.now + WallTime.duration(seconds: seconds))
    }

    /// Loop thread only. Waits until the inbox holds something or a timer is due, then moves everything posted
    /// (in posting order) and then every due timer (in deadline order) into `batch`. Returns false at once, with
    /// `batch` empty, when there is nothing to wait for: no timer, an empty inbox and `othersMayPost` false.
    func nextBatch(into batch: inout [Item], othersMayPost: Bool) -> Bool {
        batch.removeAll(keepingCapacity: true)
        while true {
            let posted = inbox.withLock { items -> [Item] in
                defer { items.removeAll(keepingCapacity: true) }
                return items
            }
            batch.append(contentsOf: posted)
            let now = clock.now
            while let due = timers.popDue(notAfter: now) { batch.append(due) }
            if !batch.isEmpty { return true }
            if let earliest = timers.earliestDeadline {
                _ = wakeup.wait(timeout: .now() + Self.dispatchInterval(now.duration(to: earliest)))
            } else if othersMayPost {
                wakeup.wait()
            } else {
                return false
            }
        }
    }

    /// Any thread; meaningful on the loop thread, the only one that takes from the inbox.
    var inboxIsEmpty: Bool { inbox.withLock { $0.isEmpty } }

    /// Loop thread only: what was posted but not yet taken (used once the loop has stopped).
    func drainInbox() -> [Item] {
        inbox.withLock { items -> [Item] in
            defer { items.removeAll() }
            return items
        }
    }

    /// Loop thread only.
    func dropTimers() { timers.removeAll() }

    private static func dispatchInterval(_ duration: Duration) -> DispatchTimeInterval {
        let nanoseconds = max(0, WallTime.seconds(duration) * 1e9)
        // Rounded up so the loop never wakes a hair before the deadline and spins.
        return .nanoseconds(Int(min(nanoseconds.rounded(.up), Double(Int.max / 2))))
    }
}

/// Conversions between the wall clock's `Duration` and seconds as a `Double`.
enum WallTime {
    static func duration(seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        // Capped at about 31 years, far past any run, so the conversion cannot overflow.
        return .nanoseconds(Int64(min(seconds, 1e9) * 1e9))
    }

    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
