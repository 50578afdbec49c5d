import Foundation
import Model
import Sim

/// A scenario run on real worker guests under QEMU/TCG (`visag run --guests tcg`): sets up what `TCGGuestHost`
/// provides (image, daemon, connection), makes one worker domain per worker Model starts with, each with its
/// `popc_clean` snapshot and its loopback SSH forward, runs `RealDriver` with `QEMUGuestChannel` and
/// `SSHObjectRunner`, and at the end (or after `stop`) lets the driver revert what it touched and removes every
/// domain it made.
///
/// `@unchecked Sendable` so that `stop(reason:)` can be called from a signal handler's queue: `control` is
/// `Locked`; everything else is touched only by the thread inside `run()`.
public final class TCGGuestRun: @unchecked Sendable {
    public static let defaultBootTimeoutSeconds = 120.0

    public let scenario: Scenario
    public let plan: TCGWorkerPlan
    public let options: RealRunOptions
    public let scriptsDirectory: URL
    public let bootTimeoutSeconds: Double
    /// Where the driver records Model's actions (`visag run --decisions`); set before `run()`.
    public var decisions: DecisionLog?
    /// Where the driver records the trace (`--trace`, `--perfetto`); set before `run()`.
    public var traceSink: TraceSink?
    /// `--sample-every`'s series (nil: none).
    public var series: RunSeries?
    private let control = Locked<(stopReason: String?, driver: RealDriver?)>((nil, nil))
    private var hasRun = false

    /// `options.uri` is replaced by qemu:///system, the URI the local daemon serves.
    public init(scenario: Scenario, plan: TCGWorkerPlan, options: RealRunOptions,
                scriptsDirectory: URL = TCGGuestHost.defaultScriptsDirectory,
                bootTimeoutSeconds: Double = TCGGuestRun.defaultBootTimeoutSeconds) {
        self.scenario = scenario
        self.plan = plan
        var options = options
        options.uri = TCGGuestHost.uri
        self.options = options
        self.scriptsDirectory = scriptsDirectory
        self.bootTimeoutSeconds = bootTimeoutSeconds
    }

    /// Stops the run: before the driver runs, set-up stops after the worker being booted; once it runs, the
    /// driver stops (and reverts every worker it touched). Any thread.
    public func stop(reason: String) {
        let driver = control.withLock { control -> RealDriver? in
            if control.stopReason == nil { control.stopReason = reason }
            return control.driver
        }
        driver?.stop(reason: reason)
    }

    /// Sets up, runs and tears down; `progress` gets one line per set-up step. The result's `domainsCreated` and
    /// `domainsRemoved` name the worker domains made and removed.
    public func run(progress: (String) -> Void = { _ in }) throws(TCGRunError) -> RealRunResult {
        precondition(!hasRun, "a TCGGuestRun runs once")
        hasRun = true
        let clock = ContinuousClock()
        var started = clock.now
        progress("building or reusing the guest image and starting or reusing libvirtd for \(TCGGuestHost.uri)")
        let host: TCGGuestHost
        do {
            host = try TCGGuestHost(scriptsDirectory: scriptsDirectory)
        } catch {
            throw .setUp("\(error)")
        }
        var result: RealRunResult?
        var failure: TCGRunError?
        do {
            progress("image \(host.image.directory.path), libvirtd "
                     + (host.startedDaemon ? "started" : "reused") + " (\(seconds(since: started, clock)) s)")
            result = try runOnWorkers(host, progress: progress, clock: clock, started: &started)
        } catch {
            failure = error
        }
        progress("removing the worker domains")
        let removed = host.tearDown(log: options.log)
        if let failure { throw failure }
        guard var result else { preconditionFailure("a run that did not fail has a result") }
        result.domainsRemoved = removed
        return result
    }

    private func runOnWorkers(_ host: TCGGuestHost, progress: (String) -> Void, clock: ContinuousClock,
                              started: inout ContinuousClock.Instant) throws(TCGRunError) -> RealRunResult {
        let channel: QEMUGuestChannel
        do {
            channel = try QEMUGuestChannel(image: host.image, hostPort: try LoopbackPort.free(on: plan.addresses))
        } catch {
            throw .setUp("\(error)")
        }
        for (index, guest) in plan.guests.enumerated() {
            if let reason = control.withLock({ $0.stopReason }) { throw .stopped(reason) }
            started = clock.now
            do {
                _ = try host.makeWorker(guest, channel: channel, memoryMiB: TCGWorkerPlan.memoryPerGuestMiB,
                                        bootTimeoutSeconds: bootTimeoutSeconds)
            } catch {
                let console = host.consoleLog(of: guest).split(whereSeparator: \.isNewline).suffix(5)
                    .joined(separator: " | ")
                throw .setUp("could not make worker \(guest.domainName): \(error)"
                             + (console.isEmpty ? "" : " (console: \(console))"))
            }
            progress("\(guest.domainName) booted and snapshotted as \(WorkerNaming.cleanSnapshot), SSH on "
                     + "\(plan.addresses[index]):\(channel.hostPort) "
                     + "(\(seconds(since: started, clock)) s)")
        }
        let driver: RealDriver
        do {
            driver = try RealDriver(scenario: scenario, options: options, connection: host.connection,
                                    guestChannel: channel, runner: SSHObjectRunner(channel: channel),
                                    decisions: decisions, traceSink: traceSink, series: series)
        } catch {
            throw .run(error)
        }
        // A stop that came while the last worker booted reaches the driver here, before it runs.
        let reason = control.withLock { control -> String? in
            control.driver = driver
            return control.stopReason
        }
        if let reason { driver.stop(reason: reason) }
        progress("running \(scenario.name) on \(plan.guests.count) worker guest(s)")
        var result: RealRunResult
        do {
            result = try driver.run()
        } catch {
            throw .run(error)
        }
        control.withLock { $0.driver = nil }
        result.domainsCreated = host.domainNames
        return result
    }

    private func seconds(since instant: ContinuousClock.Instant, _ clock: ContinuousClock) -> String {
        String(format: "%.1f", WallTime.seconds(instant.duration(to: clock.now)))
    }
}

/// Why a TCG run did not produce a result.
public enum TCGRunError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The image, the daemon or a worker domain could not be made.
    case setUp(String)
    /// Stopped (a signal) before the driver ran.
    case stopped(String)
    /// The driver could not start.
    case run(RealRunError)

    public var description: String {
        switch self {
        case .setUp(let message): message
        case .stopped(let reason): "stopped (\(reason)) while setting up the worker guests"
        case .run(let error): error.description
        }
    }
}
