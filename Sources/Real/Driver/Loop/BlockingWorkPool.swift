import Foundation

/// A few threads for calls that block (libvirt; later a guest over SSH), so the loop never waits on one.
///
/// Jobs of one lane run one at a time, in submission order: the driver uses one lane per worker VM, so a VM's
/// operations never overlap, as on a hypervisor that serialises them. Jobs of different lanes run in parallel.
///
/// `@unchecked Sendable`: `queue`, `busyLanes`, `runningJobs`, `aliveThreads` and `closed` are read and written
/// only while holding `condition`.
final class BlockingWorkPool: @unchecked Sendable {
    typealias Job = @Sendable () -> Void

    private let condition = NSCondition()
    private var queue: [(lane: Int, job: Job)] = []
    private var busyLanes: Set<Int> = []
    private var runningJobs = 0
    private var aliveThreads = 0
    private var closed = false

    init(threadCount: Int, name: String) {
        let count = max(1, threadCount)
        aliveThreads = count
        for index in 0..<count {
            let thread = Thread { [self] in work() }
            thread.name = "\(name)-\(index)"
            thread.start()
        }
    }

    func submit(lane: Int, _ job: @escaping Job) {
        condition.lock()
        precondition(!closed, "a job was submitted to a closed pool")
        queue.append((lane, job))
        condition.broadcast()
        condition.unlock()
    }

    /// Blocks until every submitted job has returned.
    func waitUntilIdle() {
        condition.lock()
        while !queue.isEmpty || runningJobs > 0 { condition.wait() }
        condition.unlock()
    }

    /// Lets the queued jobs finish, then ends the threads. Idempotent.
    func shutdown() {
        condition.lock()
        closed = true
        condition.broadcast()
        while aliveThreads > 0 { condition.wait() }
        condition.unlock()
    }

    private func work() {
        condition.lock()
        while true {
            if let index = queue.firstIndex(where: { !busyLanes.contains($0.lane) }) {
                let (lane, job) = queue.remove(at: index)
                busyLanes.insert(lane)
                runningJobs += 1
                condition.unlock()
                job()
                condition.lock()
                busyLanes.remove(lane)
                runningJobs -= 1
                condition.broadcast()
            } else if closed && queue.isEmpty {
                aliveThreads -= 1
                condition.broadcast()
                condition.unlock()
                return
            } else {
                condition.wait()
            }
        }
    }
}
