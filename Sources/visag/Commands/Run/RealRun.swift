import ArgumentParser
import Foundation
import Model
import Real
import Sim

/// `visag run --backend real`: the scenario's applications through the same control plane, on libvirt, on a
/// wall clock. Prints the same summary as a simulated run, then what only a real run knows.
struct RealRun {
    let scenario: Scenario
    let uri: String?
    /// An encrypted file with the URI and credentials, opened with `secret`.
    let hypervisorConfig: String?
    let secret: ConfigSecretOptions
    let timeScale: String?
    let untilModelSeconds: Double?
    let json: Bool
    let guests: Guests
    /// `--lockstep`: the simulator's latencies and schedule (`RealRunOptions.lockstep`).
    let lockstep: Bool
    let outputs: Outputs

    /// `--out`, `--trace`, `--perfetto` and `--decisions`: the simulator's files, from what the real run observed.
    struct Outputs {
        var out: String?
        var trace: String?
        var perfetto: String?
        var decisions: String?
        /// `--sample-every`, in model seconds.
        var sampleEverySeconds: Double? = nil

        func open() throws -> RunOutputFiles {
            try RunOutputFiles(out: out, trace: trace, perfetto: perfetto, decisions: decisions,
                               sampleEverySeconds: sampleEverySeconds)
        }
    }
    /// The block `--json` prints with the summary.
    var provenance: Provenance? = nil

    /// Where the objects run (`--guests`).
    enum Guests: String, CaseIterable {
        /// In process: `SimulatedGuestChannel` and `TimerObjectRunner`, on any URI.
        case simulated
        /// Real guests under QEMU/TCG on this machine (`TCGRun`).
        case tcg

        static func parse(_ text: String?) throws -> Guests {
            guard let text else { return .simulated }
            guard let guests = Guests(rawValue: text) else {
                throw CLIError.badInput("--guests: expected simulated or tcg, found \"\(text)\"")
            }
            return guests
        }
    }

    /// `--uri` or `--hypervisor-config` (with a key file or passphrase), not both.
    static func checkHypervisorOptions(uri: String?, hypervisorConfig: String?, secret: ConfigSecretOptions) throws {
        if hypervisorConfig != nil {
            if uri != nil { throw CLIError.badInput("give --uri or --hypervisor-config, not both") }
            _ = try secret.source
        } else if secret.keyFile != nil || secret.passphraseEnv != nil {
            throw CLIError.badInput("--key-file and --passphrase-env need --hypervisor-config")
        }
    }

    /// The URI and credentials: from the encrypted file if one is given, else `--uri` or the default.
    func hypervisor() throws -> HypervisorSettings {
        try Self.hypervisorSettings(uri: uri, hypervisorConfig: hypervisorConfig, secret: secret)
    }

    static func hypervisorSettings(uri: String?, hypervisorConfig: String?,
                                   secret: ConfigSecretOptions) throws -> HypervisorSettings {
        guard let hypervisorConfig else { return HypervisorSettings(uri: uri ?? RealRunOptions.defaultURI) }
        let key = try secret.load()
        do throws(ConfigCryptoError) {
            return try HypervisorSettings.load(path: hypervisorConfig, with: key)
        } catch {
            throw ConfigCommand.cliError(error)
        }
    }

    static func parseTimeScale(_ text: String?, guests: Guests = .simulated) throws -> Double {
        guard let text else {
            switch guests {
            case .simulated: return RealRunOptions.defaultTimeScale
            case .tcg: return TCGRun.defaultTimeScale
            }
        }
        guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0 else {
            throw CLIError.badInput(
                "--time-scale: expected a number > 0 (wall seconds per model second, e.g. 0.001), found \"\(text)\"")
        }
        return value
    }

    func run() throws {
        if guests == .tcg {
            return try TCGRun(scenario: scenario, timeScale: try Self.parseTimeScale(timeScale, guests: .tcg),
                              untilModelSeconds: untilModelSeconds, json: json, outputs: outputs,
                              provenance: provenance).run()
        }
        let hypervisor = try hypervisor()
        var options = RealRunOptions(uri: hypervisor.uri, timeScale: try Self.parseTimeScale(timeScale),
                                     untilModelSeconds: untilModelSeconds, credentials: hypervisor.credentials)
        options.lockstep = lockstep
        let files = try outputs.open()
        let driver: RealDriver
        do {
            // Real Ed25519 keys for every key Model routes (the in-process identities are for tests).
            driver = try RealDriver(scenario: scenario, options: options, keySource: Ed25519KeySource(),
                                    decisions: files.decisions, traceSink: files.sink, series: files.series?.series)
        } catch {
            files.discard()
            throw Self.cliError(error)
        }
        let signals = SignalStop(stopping: driver)
        defer { signals.cancel() }
        let result: RealRunResult
        do {
            result = try driver.run()
        } catch {
            files.discard()
            throw Self.cliError(error)
        }
        try Self.commit(files, result, scenario: scenario, provenance: provenance)
        try Self.report(result, scenario: scenario, json: json, provenance: provenance)
    }

    /// The run's files, whatever its outcome: what it observed until it ended.
    static func commit(_ files: RunOutputFiles, _ result: RealRunResult, scenario: Scenario,
                       provenance: Provenance? = nil) throws {
        var summary = RunSummary(scenario: scenario, metrics: result.metrics)
        summary.provenance = provenance
        try files.commit(scenario: scenario, applications: result.applications,
                         endSeconds: result.metrics.simulatedSeconds,
                         tables: { result.tables }, summary: summary)
    }

    /// Prints the summary (and, as a table, what only a real run knows); a run that did not complete ends the
    /// process with its status.
    static func report(_ result: RealRunResult, scenario: Scenario, json: Bool, provenance: Provenance? = nil) throws {
        var summary = RunSummary(scenario: scenario, metrics: result.metrics)
        summary.provenance = provenance
        if json {
            print(summary.json())
        } else {
            print(summary.table())
            for line in result.notes() { print(line) }
        }
        switch result.outcome {
        case .completed, .limitReached:
            return
        case .stopped(let reason):
            throw ExitCode(SignalStop.exitStatus(forSignalNamed: reason))
        case .refused(let reason):
            throw CLIError.badInput(reason)
        case .failed(let reason):
            throw CLIError.runFailed("the real run failed: \(reason)")
        }
    }

    static func cliError(_ error: RealRunError) -> CLIError {
        switch error {
        case .badInput(let message): .badInput(message)
        case .connection(let message), .workers(let message): .runFailed(message)
        }
    }
}
