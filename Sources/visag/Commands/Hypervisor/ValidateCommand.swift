import ArgumentParser
import Foundation
import Model
import Real
import Sim

/// `visag validate`: runs a scenario on the real backend and predicts it with the simulator, seed by seed, and
/// prints predicted against measured. VM preparations are read from Model's actions on both sides by one rule
/// (`PreparationTimes`); the rest are the summary's metrics, in model seconds.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Runs a scenario on libvirt and in the simulator and prints predicted against measured.",
        discussion: ExitStatus.help("""
            With --calibration FILE (from visag calibrate) the simulator's hypervisor and guest latencies are the \
            file's, measured in wall seconds and converted to model seconds at the run's time scale; without it the \
            scenario's own (an included calibration matches at --time-scale 1 only). Ratio: predicted / measured. \
            A real run that does not complete fails the command (exit 1).
            """, examples: ["visag validate Scenarios/guests/tcg-validate.yaml --calibration cal/test.yaml",
                            "visag validate Scenarios/guests/tcg-validate.yaml --seeds 1,3 --json"]))

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "Seeds to run: A..B (inclusive), N, or a list of both (at most \(Self.maxSeeds); default: the scenario's).",
            transform: SeedList.flag)
    var seeds: SeedList?
    @Option(help: "Calibration file (visag calibrate --output) whose hypervisor: and dhcp: blocks the prediction uses.")
    var calibration: String?
    @Option(name: .customLong("set"), help: "Override a scenario field: path=value (repeatable; applies to both sides).")
    var overrides: [String] = []
    @OptionGroup var target: HypervisorTargetOptions
    @Option(name: .customLong("time-scale"),
            help: "Wall seconds per model second on the real side (default 0.001; 1 with --guests tcg).")
    var timeScale: String?
    @Flag(help: "Print predicted against measured as one JSON object, with the provenance block.")
    var json = false

    func run() throws {
        let provenance = try CommandProvenance.make(scenario: scenario, overrides: overrides)
        let guests = try target.parsedGuests()
        let scale = try RealRun.parseTimeScale(timeScale, guests: guests)
        let settings = try target.settings(for: guests)
        let (measuredScenario, predictedScenario) = try scenarios(timeScale: scale)
        if let seeds, seeds.count > Self.maxSeeds {
            throw CLIError.badInput("--seeds: \(seeds.count) seeds; validate runs at most \(Self.maxSeeds) seeds (each a real run)")
        }
        let seedList = seeds?.seeds ?? [measuredScenario.seed]
        if guests == .tcg {
            do {
                _ = try TCGWorkerPlan(scenario: measuredScenario, availableMemoryMiB: HostMemory.availableMiB())
            } catch {
                throw CLIError.badInput("--guests tcg: \(error)")
            }
            try TCGRun.checkMachine()
        }
        var measured = Side()
        var predicted = Side()
        let log = DriverLog.standardError
        for seed in seedList {
            var real = measuredScenario
            real.seed = seed
            log.line("seed \(seed): real run on \(settings.uri) (\(guests.rawValue) guests, time scale \(scale))")
            measured.add(try runReal(real, settings: settings, guests: guests, timeScale: scale, log: log))
            var sim = predictedScenario
            sim.seed = seed
            predicted.add(Self.simulate(sim))
        }
        if json {
            let report = Report(scenario: measuredScenario.name, seeds: seedList, uri: settings.uri,
                                guests: guests.rawValue, timeScale: scale, calibration: calibration,
                                predicted: predicted, measured: measured,
                                provenance: provenance.with(seeds: seedList))
            print(JSONReport.text(report))
            return
        }
        let source = calibration.map { "the calibration \($0)" } ?? "the scenario's own hypervisor timings"
        print("validate \(measuredScenario.name): \(seedList.count) seed(s) \(seeds?.description ?? String(measuredScenario.seed)), "
              + "real on \(settings.uri) (\(guests.rawValue) guests, time scale \(scale)); predicted by the simulator "
              + "from \(source); model seconds")
        print(Self.table(predicted: predicted, measured: measured))
    }

    /// The scenario as the real side runs it, and as the simulator predicts it (the calibration over it, its
    /// latencies divided by the time scale).
    private func scenarios(timeScale: Double) throws -> (Scenario, Scenario) {
        do {
            let base = try YAMLDocument.load(path: scenario)
            let memory = MemoryEstimate.availableBytes()
            let measured = try ScenarioLoader.load(document: try base.applying(overrides: overrides), path: scenario,
                                                   memoryLimitBytes: memory)
            guard let calibration else { return (measured, measured) }
            let overlaid = try base.overlaid(withFile: calibration).applying(overrides: overrides)
            var predicted = try ScenarioLoader.load(document: overlaid, path: scenario, memoryLimitBytes: memory)
            // The file's latencies are wall seconds; the real side's model seconds are wall seconds / time scale.
            for field in try Self.calibratedFields(calibration) {
                field.set(field.distribution(in: predicted).scaled(by: 1 / timeScale), in: &predicted)
            }
            return (measured, predicted)
        } catch let error as ScenarioError {
            throw CLIError.badInput(error.description)
        }
    }

    /// The fields a calibration file sets.
    static func calibratedFields(_ path: String) throws -> [Calibration.Field] {
        let root = try YAMLDocument.load(path: path).root.mappingWithAnyKeys()
        var fields: [Calibration.Field] = []
        for section in ["hypervisor", "dhcp"] {
            guard let block = root.optional(section) else { continue }
            let keys = try block.mappingWithAnyKeys().keys
            fields += Calibration.Field.allCases.filter { $0.section == section && keys.contains($0.rawValue) }
        }
        return fields
    }

    /// Each seed is a real run on each side.
    static let maxSeeds = 1000

    // MARK: The two sides

    /// What one side gave, pooled over the seeds.
    struct Side {
        var preparation: [Double] = []
        var creation: [Double] = []
        var queueWait: [Double] = []
        var revert: [Double] = []
        var address: [Double] = []
        var keyWrite: [Double] = []
        var responseSum = 0.0
        var completed = 0
        var failed = 0

        mutating func add(_ run: (Metrics, [Double])) {
            let (metrics, preparations) = run
            preparation += preparations
            creation += metrics.creationLatencyReady + metrics.creationLatencyPrepared
            queueWait += metrics.queueWait
            revert += metrics.prepareRevert
            address += metrics.prepareAddress
            keyWrite += metrics.prepareKeyWrite
            responseSum += metrics.responseSum
            completed += metrics.applicationsCompleted
            failed += metrics.applicationsFailed
        }
    }

    /// Collects VM preparations from a run's actions.
    final class PreparationRecorder {
        var times = PreparationTimes()
        func log() -> DecisionLog {
            let log = DecisionLog()
            log.observer = { [self] action, modelSeconds in times.observe(action, modelSeconds: modelSeconds) }
            return log
        }
    }

    static func simulate(_ scenario: Scenario) -> (Metrics, [Double]) {
        let recorder = PreparationRecorder()
        var simulation = Simulation(scenario: scenario)
        simulation.decisions = recorder.log()
        let metrics = simulation.run()
        return (metrics, recorder.times.seconds)
    }

    private func runReal(_ scenario: Scenario, settings: HypervisorSettings, guests: RealRun.Guests,
                         timeScale: Double, log: DriverLog) throws -> (Metrics, [Double]) {
        let recorder = PreparationRecorder()
        let result: RealRunResult
        switch guests {
        case .simulated:
            var options = RealRunOptions(uri: settings.uri, timeScale: timeScale, credentials: settings.credentials)
            options.log = log
            let driver: RealDriver
            do {
                driver = try RealDriver(scenario: scenario, options: options, keySource: Ed25519KeySource(),
                                        decisions: recorder.log())
            } catch {
                throw RealRun.cliError(error)
            }
            let signals = SignalStop(stopping: driver)
            defer { signals.cancel() }
            do { result = try driver.run() } catch { throw RealRun.cliError(error) }
        case .tcg:
            let plan: TCGWorkerPlan
            do {
                plan = try TCGWorkerPlan(scenario: scenario, availableMemoryMiB: HostMemory.availableMiB())
            } catch {
                throw CLIError.badInput("--guests tcg: \(error)")
            }
            let run = TCGGuestRun(scenario: scenario, plan: plan,
                                  options: RealRunOptions(uri: TCGGuestHost.uri, timeScale: timeScale, log: log))
            run.decisions = recorder.log()
            let signals = SignalStop(log: log) { name in run.stop(reason: name) }
            defer { signals.cancel() }
            do {
                result = try run.run(progress: log.line)
            } catch {
                switch error {
                case .setUp(let message): throw CLIError.runFailed("--guests tcg: \(message)")
                case .stopped(let reason): throw ExitCode(SignalStop.exitStatus(forSignalNamed: reason))
                case .run(let error): throw RealRun.cliError(error)
                }
            }
        }
        switch result.outcome {
        case .completed:
            return (result.metrics, recorder.times.seconds)
        case .stopped(let reason):
            throw ExitCode(SignalStop.exitStatus(forSignalNamed: reason))
        case .limitReached:
            throw CLIError.runFailed("validate: the real run of seed \(scenario.seed) reached its stop time before "
                                     + "every application finished; validate compares complete runs")
        case .failed(let reason), .refused(let reason):
            throw CLIError.runFailed("validate: the real run of seed \(scenario.seed) failed: \(reason)")
        }
    }

    // MARK: The table

    static func rows(predicted: Side, measured: Side) -> [(String, Double?, Double?)] {
        func p(_ values: [Double], _ q: KeyPath<Summary, Double>) -> Double? {
            values.isEmpty ? nil : Summary(values)[keyPath: q]
        }
        func mean(_ values: [Double]) -> Double? { values.isEmpty ? nil : Summary(values).mean }
        func response(_ side: Side) -> Double? { side.completed == 0 ? nil : side.responseSum / Double(side.completed) }
        return [
            ("VM preparation p50 (s)", p(predicted.preparation, \.p50), p(measured.preparation, \.p50)),
            ("VM preparation p95 (s)", p(predicted.preparation, \.p95), p(measured.preparation, \.p95)),
            ("object creation p50 (s)", p(predicted.creation, \.p50), p(measured.creation, \.p50)),
            ("object creation mean (s)", mean(predicted.creation), mean(measured.creation)),
            ("queue wait mean (s)", mean(predicted.queueWait), mean(measured.queueWait)),
            ("prepare: revert mean (s)", mean(predicted.revert), mean(measured.revert)),
            ("prepare: address mean (s)", mean(predicted.address), mean(measured.address)),
            ("prepare: key write mean (s)", mean(predicted.keyWrite), mean(measured.keyWrite)),
            ("response time mean (s)", response(predicted), response(measured)),
        ]
    }

    static func table(predicted: Side, measured: Side) -> String {
        let rows = rows(predicted: predicted, measured: measured)
        func number(_ value: Double?) -> String { value.map { String(format: "%.6g", $0) } ?? "-" }
        func pad(_ text: String, _ width: Int) -> String { text.padding(toLength: max(width, text.count), withPad: " ", startingAt: 0) }
        var lines = [pad("", 28) + pad("predicted", 14) + pad("measured", 14) + "ratio"]
        for (name, predictedValue, measuredValue) in rows {
            let ratio = Self.ratio(predictedValue, measuredValue).map { String(format: "%.3f", $0) } ?? "-"
            lines.append(pad(name, 28) + pad(number(predictedValue), 14) + pad(number(measuredValue), 14) + ratio)
        }
        lines.append(pad("VM preparations", 28) + pad("\(predicted.preparation.count)", 14)
                     + "\(measured.preparation.count)")
        lines.append(pad("applications completed", 28) + pad("\(predicted.completed)", 14) + "\(measured.completed)")
        lines.append(pad("applications failed", 28) + pad("\(predicted.failed)", 14) + "\(measured.failed)")
        return lines.joined(separator: "\n")
    }
}
