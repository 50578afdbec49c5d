import Foundation
import Sim

/// Runs `count` bodies on their own threads and waits for all of them.
///
/// Each worker channel needs a thread of its own for the length of a multiplication (it sends,
/// then blocks until its C block comes back); a thread pool sized to the two cores, like
/// `concurrentPerform`, would serve the workers two at a time.
enum ParallelThreads {
    static func run(count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        if count == 1 {
            try body(0)
            return
        }
        let errors = Locked<[(Int, any Error)]>([])
        let group = DispatchGroup()
        for index in 0..<count {
            group.enter()
            let thread = Thread {
                do { try body(index) } catch { errors.withLock { $0.append((index, error)) } }
                group.leave()
            }
            thread.stackSize = 256 * 1024
            thread.start()
        }
        group.wait()
        if let first = errors.withLock({ $0.min { $0.0 < $1.0 } }) { throw first.1 }
    }

    /// One thread per worker, sending in order with at most `concurrentSenders` sending at a
    /// time, receiving at once: thread i starts sending once threads before it have, and a
    /// sending slot is free. This is how the main calls its parallel objects one after another,
    /// and it lets worker 1 compute while later workers receive, instead of every worker waiting
    /// until all copies of B have crept through together; a second sender keeps both cores busy
    /// when one stream cannot (an SSH channel is a pipeline of processes). Each channel stays on
    /// one thread (an OpenSSL connection must not be read and written concurrently).
    static func runInTurns(count: Int, concurrentSenders: Int,
                           send: @escaping @Sendable (Int) throws -> Void,
                           receive: @escaping @Sendable (Int) throws -> Void) throws {
        let order = (0...count).map { _ in DispatchSemaphore(value: 0) }
        let slots = DispatchSemaphore(value: max(1, concurrentSenders))
        order[0].signal()
        try run(count: count) { index in
            order[index].wait()
            slots.wait()
            order[index + 1].signal()
            do {
                try send(index)
            } catch {
                slots.signal()
                throw error
            }
            slots.signal()
            try receive(index)
        }
    }
}
