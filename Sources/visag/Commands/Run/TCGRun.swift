import ArgumentParser
import Foundation
import Model
import Real
import Sim

/// `visag run --backend real --guests tcg`: the scenario on real worker guests under QEMU/TCG on this machine
/// (`TCGGuestRun`). Everything that can be refused is refused, exit 2, before anything is started: the options,
/// the scenario (worker VMs, no cloning, loopback addresses), the memory, root and the packages.
struct TCGRun {
    /// Wall seconds per model second unless `--time-scale` says otherwise: model time is wall time, so a revert
    /// (about a second under TCG) is as long to Model as it really is.
    static let defaultTimeScale = 1.0
    /// Model's timers shorter than this many wall seconds race the guests' own latencies (a revert, SSH logins).
    static let shortTimerWallSeconds = 5.0

    let scenario: Scenario
    let timeScale: Double
    let untilModelSeconds: Double?
    let json: Bool
    /// `--out`, `--trace`, `--perfetto`, `--decisions`.
    var outputs = RealRun.Outputs()
    var log: DriverLog = .standardError
    /// The block `--json` prints with the summary.
    var provenance: Provenance? = nil

    /// The guests run behind this machine's qemu:///system only.
    static func checkOptions(uri: String?, hypervisorConfig: String?) throws {
        if hypervisorConfig != nil {
            throw CLIError.badInput("--guests tcg runs its guests on this machine through \(TCGGuestHost.uri); "
                + "--hypervisor-config is for other hypervisors")
        }
        if let uri, uri != TCGGuestHost.uri {
            throw CLIError.badInput("--guests tcg runs its guests on this machine through \(TCGGuestHost.uri), "
                + "not \(uri) (it starts that daemon itself; remote and non-QEMU hypervisors take --guests simulated)")
        }
    }

    /// Root and the packages; exit 2 naming what is missing.
    static func checkMachine() throws {
        var missing: [String] = []
        if !TCGPrerequisites.isRoot { missing.append("root (to serve \(TCGGuestHost.uri) and run QEMU)") }
        let packages = TCGPrerequisites.missingPackages()
        if !packages.isEmpty {
            missing.append("the packages " + packages.joined(separator: ", ")
                           + " (bash \(TCGPrerequisites.installScript) installs them)")
        }
        guard !missing.isEmpty else { return }
        throw CLIError.badInput("--guests tcg needs " + missing.joined(separator: " and "))
    }

    func run() throws {
        let plan: TCGWorkerPlan
        do {
            plan = try TCGWorkerPlan(scenario: scenario, availableMemoryMiB: HostMemory.availableMiB())
        } catch {
            throw CLIError.badInput("--guests tcg: \(error)")
        }
        try Self.checkMachine()
        warnAboutShortTimers()
        let run = TCGGuestRun(scenario: scenario, plan: plan,
                              options: RealRunOptions(uri: TCGGuestHost.uri, timeScale: timeScale,
                                                      untilModelSeconds: untilModelSeconds, log: log))
        let files = try outputs.open()
        run.decisions = files.decisions
        run.traceSink = files.sink
        run.series = files.series?.series
        let signals = SignalStop(log: log) { name in run.stop(reason: name) }
        defer { signals.cancel() }
        let result: RealRunResult
        do {
            result = try run.run(progress: log.line)
        } catch {
            files.discard()
            switch error {
            case .setUp(let message):
                throw CLIError.runFailed("--guests tcg: \(message)")
            case .stopped(let reason):
                log.line("\(error); every worker domain made was removed")
                throw ExitCode(SignalStop.exitStatus(forSignalNamed: reason))
            case .run(let error):
                throw RealRun.cliError(error)
            }
        }
        try RealRun.commit(files, result, scenario: scenario, provenance: provenance)
        try RealRun.report(result, scenario: scenario, json: json, provenance: provenance)
    }

    /// One line when Model's shortest timer is, in wall time, about as long as what a guest takes.
    private func warnAboutShortTimers() {
        let grid = scenario.grid
        let timers: [(String, Double?)] = [
            ("jobMgr.execTimeout", grid.execTimeoutSeconds), ("jobMgr.reservationTimeout", grid.reservationTimeoutSeconds),
            ("jobMgr.roundTimeout", grid.roundTimeoutSeconds), ("jobMgr.addressWaitCap", grid.addressWaitCapSeconds),
        ]
        let set = timers.compactMap { name, seconds in seconds.map { (name, $0) } }
        guard let shortest = set.min(by: { $0.1 < $1.1 }),
              shortest.1 * timeScale < Self.shortTimerWallSeconds else { return }
        let wall = String(format: "%.2f", shortest.1 * timeScale)
        log.line("\(shortest.0) (\(shortest.1) s) is \(wall) s of wall time at time scale \(timeScale): a guest's "
                 + "revert and SSH logins take about that long, so expect timeouts (a larger --time-scale or longer "
                 + "timers avoid them)")
    }
}
