import ArgumentParser
import Foundation
import Real
import Sim

/// `visag calibrate`: times each operation Model asks of a hypervisor and a guest on the real backend, fits a
/// log-normal to each (maximum likelihood, GSL) and writes them as a scenario's `hypervisor:` and `dhcp:` blocks,
/// for a scenario to `include:`.
struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Measures the hypervisor and guest operations on libvirt and writes fitted latencies as scenario blocks.",
        discussion: ExitStatus.help("""
            Each cycle reverts the worker, reads its address (and, when measured, renews it), fetches its key, \
            writes a key, launches an object, suspends and resumes it, shuts it down and boots it, and clones it. \
            Each operation gets a log-normal fitted by maximum likelihood (mu = mean of ln x, sigma = standard \
            deviation of ln x dividing by n), printed with n and the Kolmogorov-Smirnov statistic D. The file \
            holds hypervisor: and dhcp: blocks; a scenario reads it with include: FILE.yaml.
            """, examples: ["visag calibrate --cycles 10 --output cal/test.yaml",
                            "visag calibrate --guests tcg --cycles 10 --output cal/tcg.yaml --json"]))

    @OptionGroup var target: HypervisorTargetOptions
    @Option(help: "Cycles to measure (1...10000); each operation gets one sample a cycle (a revert one per address read measured).")
    var cycles: Int = 10
    @Option(help: "Only these operations, comma-separated (default: all; clone is not measured with --guests tcg): \(Calibration.Field.allCases.map(\.rawValue).joined(separator: ", ")).")
    var only: String?
    @Option(help: "The worker domain to measure on (default node0_worker1; made and removed on the test driver if missing).")
    var domain: String?
    @Option(name: .customLong("shutdown-wait"), help: "How long a graceful shutdown may take before the domain is powered off: seconds or a duration like 30s (default: 30 s, as in runs).")
    var shutdownWait: String?
    @Option(help: "--guests tcg: guests to boot (1...8, default 1); the cycles are shared out among them, so each operation is measured beside as many running guests as a scenario with that many workers has.")
    var workers: Int?
    @Option(help: "Where to write the fitted blocks (YAML; required).")
    var output: String?
    @Option(name: .customLong("out"), help: FileOutputOption.deprecatedHelp)
    var deprecatedOut: String?
    @Flag(help: "Print the fits as one JSON object instead of the table, with the provenance block.")
    var json = false

    func run() throws {
        let out = try FileOutputOption.path(output: output, deprecatedOut: deprecatedOut)
        let provenance = try CommandProvenance.make()
        guard (1...10_000).contains(cycles) else {
            throw CLIError.badInput("--cycles: expected 1...10000, found \(cycles)")
        }
        if out.isEmpty { throw CLIError(OutputError.emptyPath) }
        let guests: CalibrationRun.Guests
        let realGuests = try target.parsedGuests()
        switch realGuests {
        case .simulated: guests = .simulated
        case .tcg: guests = .tcg
        }
        var fields = Set(Calibration.Field.allCases)
        if guests == .tcg { fields.subtract(CalibrationRun.unmeasuredOnTCG) }
        if let only { fields = try Self.parseFields(only) }
        let shutdownWaitSeconds = try shutdownWait.map { try DurationFlag.seconds($0, flag: "--shutdown-wait", in: 0...Double.infinity) }
        if guests == .tcg {
            if domain != nil { throw CLIError.badInput("--domain applies only to --guests simulated") }
            if let workers, !(1...8).contains(workers) {
                throw CLIError.badInput("--workers: expected 1...8, found \(workers)")
            }
        } else if workers != nil {
            throw CLIError.badInput("--workers applies only to --guests tcg")
        }
        let settings = try target.settings(for: realGuests)
        if guests == .tcg { try TCGRun.checkMachine() }
        // Opened before measuring, so a path that cannot be written fails at once.
        let file: OutputFile
        do throws(OutputError) {
            file = try OutputFile(path: out, options: OutputFile.Options(createFolders: true))
        } catch {
            throw CLIError(error)
        }
        var run = CalibrationRun(uri: settings.uri, credentials: settings.credentials, guests: guests, cycles: cycles,
                                 fields: fields)
        if let domain { run.domainName = domain }
        if let shutdownWaitSeconds { run.shutdownWaitWallSeconds = shutdownWaitSeconds }
        if let workers { run.tcgWorkers = workers }
        let log = DriverLog.standardError
        let samples: [Calibration.Field: [Double]]
        do {
            samples = try run.run(progress: log.line)
        } catch {
            file.discard()
            throw CLIError.runFailed("calibrate: \(error)")
        }
        var calibration = Calibration()
        for field in Calibration.Field.allCases {
            guard let values = samples[field] else { continue }
            if calibration.add(field, samples: values) == nil {
                file.discard()
                throw CLIError.runFailed("calibrate: \(field.path): \(values.count) sample(s) cannot be fitted (at least 2, each > 0)")
            }
        }
        if json {
            print(JSONReport.text(CalibrationReport(calibration, uri: settings.uri, guests: guests.rawValue, cycles: cycles,
                                                    output: out, provenance: provenance)))
        } else {
            print(Self.table(calibration))
        }
        let left = Calibration.Field.allCases.filter { !fields.contains($0) }
        let header = [
            "Measured by visag calibrate on \(settings.uri), \(guests.rawValue) guests"
                + (guests == .tcg ? " (\(run.tcgWorkers) running)" : "") + ", \(cycles) cycle(s).",
            "Each operation: a log-normal fitted by maximum likelihood (sigma divides by n); KS D beside it.",
        ] + (left.isEmpty ? [] : ["Not measured (the including scenario's values stay): "
                                  + left.map(\.path).joined(separator: ", ") + "."])
        file.write(calibration.yaml(header: header))
        do throws(OutputError) {
            try file.commit()
        } catch {
            throw CLIError(error)
        }
    }

    static func parseFields(_ text: String) throws -> Set<Calibration.Field> {
        var fields = Set<Calibration.Field>()
        for name in text.split(separator: ",", omittingEmptySubsequences: false) {
            let trimmed = name.trimmingCharacters(in: .whitespaces)
            guard let field = Calibration.Field(rawValue: trimmed) else {
                let names = Calibration.Field.allCases.map(\.rawValue)
                var message = "--only: unknown operation \"\(trimmed)\"; expected some of: " + names.joined(separator: ", ")
                if let near = suggestion(for: trimmed, among: names) { message += " (did you mean \"\(near)\"?)" }
                throw CLIError.badInput(message)
            }
            fields.insert(field)
        }
        return fields
    }

    /// One row per operation: n, the measured median and p95, the fit and its KS D.
    static func table(_ calibration: Calibration) -> String {
        var lines = ["operation                  n   measured p50 s   measured p95 s   fit median s   fit sigma   KS D"]
        for entry in calibration.entries {
            let summary = Summary(entry.samples)
            lines.append(entry.field.path.padding(toLength: 24, withPad: " ", startingAt: 0)
                         + String(format: " %4d   %14.6g   %14.6g   %12.6g   %9.4f   %.4f", entry.fit.count, summary.p50, summary.p95, entry.fit.median, entry.fit.sigma,
                                entry.fit.ksStatistic))
        }
        return lines.joined(separator: "\n")
    }
}
