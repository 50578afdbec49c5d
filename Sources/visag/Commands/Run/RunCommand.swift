import ArgumentParser
import Foundation
import Model
import Sim

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Runs a scenario (simulated, or on libvirt with --backend real) and prints a summary.",
        discussion: ExitStatus.help(examples: ["visag run Scenarios/quickstart.yaml --seed 7",
                                               "visag run Scenarios/quickstart.yaml --out out/qs --trace out/qs/trace.jsonl"]))

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "Seed (overrides the scenario's).")
    var seed: UInt64?
    @Option(help: "Stop at this simulated time (seconds or a duration like 2h).")
    var until: String?
    @Option(name: .customLong("set"), help: "Override a scenario field: path=value (repeatable).")
    var overrides: [String] = []
    @Option(help: "Write applications.csv, vms.csv, nodes.csv and summary.json into this folder (created; an earlier run's folder is replaced as a whole).")
    var out: String?
    @Option(name: .customLong("sample-every"),
            help: "With --out: also write node-series.csv and vm-series.csv, the state per node and per worker VM at t = 0 and every such interval (seconds or a duration like 5m) up to the run's end.")
    var sampleEvery: String?
    @Option(help: "Write the event trace here as JSON Lines (a FIFO, a device or /dev/stdout is written through; missing folders are created).")
    var trace: String?
    @Option(help: "Write a Chrome/Perfetto trace (one track per node and VM) here.")
    var perfetto: String?
    @Option(help: "Write the decision log here: every action Model emits, with its model time, one line each; its SHA-256 is the summary's decision digest (/dev/null: the digest only).")
    var decisions: String?
    @Flag(help: "--backend real: draw every operation's latency as the simulator does and keep Model's clock on that schedule (the real calls finish no earlier), so the decision log matches --backend sim's; simulated guests, fault-free scenarios only.")
    var lockstep = false
    @Flag(help: "Print the summary as one JSON object.")
    var json = false
    @Option(help: "sim (the discrete-event simulator) or real (libvirt, on a wall clock).")
    var backend: String = "sim"
    @Option(help: "--backend real: the libvirt URI (default test:///default, libvirt's in-process test driver; qemu:///system with --guests tcg).")
    var uri: String?
    @Option(name: .customLong("time-scale"),
            help: "--backend real: wall seconds per model second (> 0; default 0.001, a scenario hour in 3.6 s).")
    var timeScale: String?
    @Option(name: .customLong("hypervisor-config"),
            help: "--backend real: an encrypted file (visag config encrypt) with the URI and any username and password.")
    var hypervisorConfig: String?
    @OptionGroup var secret: ConfigSecretOptions
    @OptionGroup var memory: MemoryLimitOptions
    @Option(help: "--backend real: simulated (in-process guests, the default) or tcg (real guests under QEMU/TCG on this machine through qemu:///system; needs root and scripts/install-test-deps.sh's packages).")
    var guests: String?

    enum Backend: String, CaseIterable { case sim, real }

    func run() throws {
        guard let backend = Backend(rawValue: backend) else {
            throw CLIError.badInput("--backend: expected sim or real, found \"\(backend)\"")
        }
        switch backend {
        case .sim:
            if uri != nil { throw CLIError.badInput("--uri applies only to --backend real") }
            if timeScale != nil { throw CLIError.badInput("--time-scale applies only to --backend real") }
            if hypervisorConfig != nil || secret.keyFile != nil || secret.passphraseEnv != nil {
                throw CLIError.badInput("--hypervisor-config, --key-file and --passphrase-env apply only to --backend real")
            }
            if guests != nil { throw CLIError.badInput("--guests applies only to --backend real") }
            if lockstep { throw CLIError.badInput("--lockstep applies only to --backend real") }
        case .real:
            _ = try RealRun.parseTimeScale(timeScale)
            try RealRun.checkHypervisorOptions(uri: uri, hypervisorConfig: hypervisorConfig, secret: secret)
            if try RealRun.Guests.parse(guests) == .tcg {
                if lockstep { throw CLIError.badInput("--lockstep needs --guests simulated (the default)") }
                try TCGRun.checkOptions(uri: uri, hypervisorConfig: hypervisorConfig)
            }
        }
        let sampleEverySeconds = try Self.parseSampleEvery(sampleEvery, out: out)
        var scenario = try loadScenario(self.scenario, overrides: overrides, memoryLimitBytes: try memory.limitBytes())
        if let seed { scenario.seed = seed }
        let provenance = try CommandProvenance.make(scenario: self.scenario, overrides: overrides, seed: scenario.seed)
        var limit: Double? = nil
        if let until {
            do {
                limit = try ScenarioLoader.commandLineDuration(until, flag: "--until")
            } catch let error as ScenarioError {
                throw CLIError.badInput("--until: expected seconds or a duration like 90m, found \"\(until)\" (\(error.message))")
            }
        }
        if backend == .real, lockstep {
            let problems = LockstepSchedule.problems(of: scenario)
            if !problems.isEmpty {
                throw CLIError.badInput("\(self.scenario): cannot run in lockstep (the simulator's world would answer "
                                        + "differently): " + problems.joined(separator: "; "))
            }
        }
        if backend == .real {
            return try RealRun(scenario: scenario, uri: uri, hypervisorConfig: hypervisorConfig, secret: secret,
                               timeScale: timeScale, untilModelSeconds: limit, json: json,
                               guests: try RealRun.Guests.parse(guests), lockstep: lockstep,
                               outputs: RealRun.Outputs(out: out, trace: trace, perfetto: perfetto,
                                                        decisions: decisions, sampleEverySeconds: sampleEverySeconds),
                               provenance: provenance).run()
        }
        // Outputs are opened before the run, so a path that cannot be written fails at once (exit 1).
        let files = try RunOutputFiles(out: out, trace: trace, perfetto: perfetto, decisions: decisions,
                                       sampleEverySeconds: sampleEverySeconds)
        var simulation = Simulation(scenario: scenario, traceSink: files.sink)
        simulation.decisions = files.decisions
        simulation.series = files.series?.series
        let metrics = simulation.run(untilSeconds: limit)
        var summary = RunSummary(scenario: scenario, metrics: metrics)
        summary.provenance = provenance
        try files.commit(scenario: scenario, applications: simulation.plane.apps, endSeconds: metrics.simulatedSeconds,
                         tables: { RunTables(simulation) }, summary: summary)
        print(json ? summary.json() : summary.table())
        files.warnIfSeriesTruncated()
        if let stalled = metrics.stalled {
            throw CLIError.runFailed("the run made no progress and was stopped at t=\(metrics.simulatedSeconds) s: \(stalled)")
        }
    }

    /// `--sample-every`: a duration > 0, and only with `--out` (the series are files of that folder).
    static func parseSampleEvery(_ text: String?, out: String?) throws -> Double? {
        guard let text else { return nil }
        let expected = "--sample-every: expected a duration > 0 (seconds or a duration like 60s, 5m), found \"\(text)\""
        let seconds: Double?
        do {
            seconds = try ScenarioLoader.commandLineDuration(text, flag: "--sample-every")
        } catch let error as ScenarioError {
            throw CLIError.badInput("\(expected) (\(error.message))")
        }
        guard let seconds, seconds > 0, seconds.isFinite else { throw CLIError.badInput(expected) }
        if out == nil { throw CLIError.badInput("--sample-every needs --out (the series are written into that folder)") }
        return seconds
    }
}
