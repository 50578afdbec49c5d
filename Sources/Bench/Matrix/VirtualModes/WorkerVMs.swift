import Foundation
import Model
import Real
import Sim

/// w worker VMs prepared by Model for one application through the real backend (`RealDriver` on
/// libvirt, `test:///default` unless another URI is given), holding one matrix worker each: the
/// virtual modes' counterpart of an application's parallel objects on ViSaG.
///
/// `prepare` submits the application and returns once Model has launched every object (each VM
/// reverted, its address read, its own key fetched and the keys written); `release` tells Model
/// the objects ended, and returns once Model's ApplicationEnd has recycled every VM (revert).
/// The driver runs on a thread of its own; Model never leaves it.
///
/// `@unchecked Sendable`: the lets are set in `prepare`; `finished` is behind a lock; the
/// coordinator's thread calls `objectsStarted` and `release`.
final class WorkerVMs: @unchecked Sendable {
    /// One prepared VM and the object Model launched in it, in object order.
    typealias Slot = WorkerVMRunner.Launch

    let slots: [Slot]
    let mainNode: NodeID
    let app: AppID
    /// From Model's first VM reservation to its last object launch.
    let prepareSeconds: Double
    let uri: String
    /// The QEMU guests the VMs are (nil: libvirt's driver only, each worker a host process).
    let guests: TCGWorkerGuests?
    private let driver: RealDriver
    private let runner: WorkerVMRunner
    private let thread: DriverThread
    /// The clean-up registry's stop for this driver (a signal mid-run reverts the workers).
    private let cleanupToken: Int

    private init(slots: [Slot], prepareSeconds: Double, uri: String, guests: TCGWorkerGuests?, driver: RealDriver,
                 runner: WorkerVMRunner, thread: DriverThread, cleanupToken: Int) {
        self.guests = guests
        self.slots = slots
        self.mainNode = WorkerVMScenario.mainNode
        self.app = slots[0].app
        self.prepareSeconds = prepareSeconds
        self.uri = uri
        self.driver = driver
        self.runner = runner
        self.thread = thread
        self.cleanupToken = cleanupToken
    }

    /// Starts the driver and waits until Model has launched `count` objects, each in its own VM.
    /// With `guests`, the VMs are its QEMU guests (`uri` is then qemu:///system): Model reverts each, reads its
    /// address and writes its keys over SSH.
    static func prepare(count: Int, mode: MatrixMode, uri: String, guests: TCGWorkerGuests? = nil,
                        timeoutSeconds: Double? = nil) throws -> WorkerVMs {
        let timeoutSeconds = timeoutSeconds ?? (guests == nil ? 60 : 180)
        let scenario = WorkerVMScenario.scenario(workers: count, mode: mode)
        let runner: WorkerVMRunner
        let log = CollectedLog()
        // Wall time is Model's time (scale 1): its timers are real seconds; one lane per VM, as
        // every node's admin VM prepares its worker at the same time.
        let options = RealRunOptions(uri: guests == nil ? uri : TCGGuestHost.uri, timeScale: 1,
                                     workerThreads: min(count, 64), log: log.driverLog)
        let driver: RealDriver
        do {
            if let guests {
                runner = WorkerVMRunner(guestChannel: guests.channel)
                driver = try RealDriver(scenario: scenario, options: options, connection: guests.host.connection,
                                        guestChannel: guests.channel, runner: runner)
            } else {
                let guestChannel = SimulatedGuestChannel()
                runner = WorkerVMRunner(guestChannel: guestChannel)
                driver = try RealDriver(scenario: scenario, options: options, guestChannel: guestChannel, runner: runner)
            }
        } catch {
            throw MatrixBenchError.failed("\(mode.rawValue) w=\(count): \(error)")
        }
        driver.onReport = { [runner] report in runner.observe(report) }
        let thread = DriverThread(driver: driver, signal: runner.changed)
        let cleanupToken = CleanupRegistry.shared.register { thread.stop(driver, reason: "interrupted") }

        let deadline = MonotonicClock.nowSeconds() + timeoutSeconds
        var problem: String?
        while true {
            if let failure = runner.failure { problem = failure; break }
            if runner.launches.count >= count { break }
            if let outcome = thread.outcome { problem = "the driver ended before every object ran: \(outcome)"; break }
            let remaining = deadline - MonotonicClock.nowSeconds()
            guard remaining > 0 else { problem = "Model launched \(runner.launches.count) of \(count) objects within \(timeoutSeconds) s"; break }
            _ = runner.changed.wait(timeout: .now() + min(remaining, 1))
        }
        if let problem {
            CleanupRegistry.shared.unregister(stop: cleanupToken)
            thread.stop(driver, reason: "the matrix benchmark gave up")
            throw MatrixBenchError.failed("\(mode.rawValue) w=\(count) on \(uri): \(problem)" + log.tail)
        }
        let slots = runner.launches.sorted { $0.object < $1.object }
        let vms = Set(slots.map(\.vm))
        guard vms.count == count, slots.allSatisfy({ $0.address.isLoopback }),
              let reserved = runner.firstReservationSeconds, let lastLaunch = slots.map(\.atSeconds).max() else {
            CleanupRegistry.shared.unregister(stop: cleanupToken)
            thread.stop(driver, reason: "the matrix benchmark gave up")
            throw MatrixBenchError.failed("\(mode.rawValue) w=\(count): Model placed \(count) objects in \(vms.count) VMs "
                                          + "at \(slots.map(\.address.description)); expected one loopback VM each")
        }
        return WorkerVMs(slots: slots, prepareSeconds: lastLaunch - reserved, uri: options.uri, guests: guests,
                         driver: driver, runner: runner,
                         thread: thread, cleanupToken: cleanupToken)
    }

    /// The workers listen (or could not start): Model learns its objects' launch outcome.
    func objectsStarted(succeeded: Bool) {
        runner.objectsStarted(slots.map(\.object), succeeded: succeeded)
    }

    /// What Model's ApplicationEnd did with the VMs.
    struct Recycle: Sendable {
        /// From the objects' end to the driver's completion (every VM recycled).
        let seconds: Double
        /// Model's reverts per VM over the whole application (preparation and recycle).
        let revertsPerVM: [Int]
        let clean: Bool
    }

    /// The objects ended: Model ends the application and recycles its VMs; waits for that.
    func release(timeoutSeconds: Double = 60) throws -> Recycle {
        let started = MonotonicClock.nowSeconds()
        runner.objectsFinished(slots.map(\.object))
        defer { CleanupRegistry.shared.unregister(stop: cleanupToken) }
        guard let result = thread.wait(timeoutSeconds: timeoutSeconds) else {
            thread.stop(driver, reason: "recycling took longer than \(timeoutSeconds) s")
            throw MatrixBenchError.failed("Model did not recycle the worker VMs within \(timeoutSeconds) s")
        }
        let seconds = MonotonicClock.nowSeconds() - started
        switch result {
        case .success(let run):
            guard run.outcome == .completed else { throw MatrixBenchError.failed("the VM run ended: \(run.outcome)") }
            let used = run.workers.filter { vm in slots.contains { $0.vm == vm.vm } }
            return Recycle(seconds: seconds, revertsPerVM: used.map(\.modelRevertCalls),
                           clean: used.allSatisfy { $0.free && $0.lastOperation == "revert" && $0.lastOperationSucceeded })
        case .failure(let error):
            throw MatrixBenchError.failed("the VM run failed: \(error)")
        }
    }

    /// On a failure elsewhere: the driver stops, reverting every worker it touched.
    func abandon() {
        CleanupRegistry.shared.unregister(stop: cleanupToken)
        thread.stop(driver, reason: "the matrix benchmark stopped")
    }
}

/// The driver's `run()` on a thread of its own, with its result.
final class DriverThread: @unchecked Sendable {
    // `@unchecked Sendable`: `result` is behind its lock; `done` is a semaphore.
    private let result = Locked<Result<RealRunResult, RealRunError>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    init(driver: RealDriver, signal: DispatchSemaphore) {
        let thread = Thread { [result, done] in
            let outcome = Result { () throws(RealRunError) -> RealRunResult in try driver.run() }
            result.withLock { $0 = outcome }
            done.signal()
            signal.signal()
        }
        // Model's control plane is a large value; the loop is normally the main thread.
        thread.stackSize = 8 << 20
        thread.name = "visag-matrix-vms"
        thread.start()
    }

    /// How the run ended, if it has.
    var outcome: String? {
        result.withLock { result in
            switch result {
            case nil: nil
            case .success(let run)?: "\(run.outcome)"
            case .failure(let error)?: "\(error)"
            }
        }
    }

    /// Waits for the run to end; nil on timeout.
    func wait(timeoutSeconds: Double) -> Result<RealRunResult, RealRunError>? {
        if let finished = result.withLock({ $0 }) { return finished }
        guard done.wait(timeout: .now() + timeoutSeconds) == .success else { return nil }
        done.signal()  // later waits return at once
        return result.withLock { $0 }
    }

    /// Stops the run (Model's objects are killed, every touched worker reverted) and waits for it.
    func stop(_ driver: RealDriver, reason: String) {
        driver.stop(reason: reason)
        _ = wait(timeoutSeconds: 60)
    }
}

/// The driver's one-line messages, kept to explain a failure instead of printed mid-table.
final class CollectedLog: @unchecked Sendable {
    // `@unchecked Sendable`: `lines` is behind its lock.
    private let lines = Locked<[String]>([])

    var driverLog: DriverLog { DriverLog { [lines] line in lines.withLock { $0.append(line) } } }

    /// The last few lines, prefixed for an error message ("" if none).
    var tail: String {
        let last = lines.withLock { $0.suffix(3) }
        return last.isEmpty ? "" : " (libvirt: " + last.joined(separator: " | ") + ")"
    }
}
