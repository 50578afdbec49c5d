import ArgumentParser
import Bench
import Foundation
import Sim

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks.",
        discussion: ExitStatus.help(examples: ["visag bench vm-pool --jobs-file Tests/SimTests/Fixtures/jobs_2k.csv --json",
                                               "visag bench matrix --sizes 300 --workers 1,2 --modes standard,secure"]),
        subcommands: [VMPoolCommand.self, MatrixBenchCommand.self, MatrixWorkerCommand.self])
}

struct VMPoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm-pool",
        abstract: "Runs the shared vm-pool workload through Model and Sim and prints the reference's lines.",
        discussion: ExitStatus.help("`bash bench/vm-pool.sh` writes the shared 100,000-job trace to bench/out/.",
                                    examples: ["visag bench vm-pool --jobs-file Tests/SimTests/Fixtures/jobs_2k.csv --prep 1m",
                                               "visag bench vm-pool --jobs-file bench/out/jobs_100k.csv --hosts 1000"]))

    /// An input, so not `--trace` (which names an output trace in every other subcommand).
    @Option(name: .customLong("jobs-file"), help: "Jobs to run (CSV: id,arrival_s,compute_s).")
    var jobsFile: String
    @Option(help: "Hosts.")
    var hosts: Int = 1000
    @Option(help: "VM slots per host.")
    var slots: Int = 8
    @Option(help: "VM preparation time (revert plus DHCP): seconds or a duration like 35s.")
    var prep: String = "35"
    @Flag(help: "Print the reference's figures as one JSON object, with the provenance block.")
    var json = false

    /// The ranges of the scenario fields these flags stand for (`platform.nodes`, `platform.maxVMs`, a duration).
    static let hostRange = 1...1_000_000
    static let slotRange = 1...10_000
    static let prepRange = 0.0...1e9

    func validate() throws {
        guard Self.hostRange.contains(hosts) else {
            throw ValidationError("--hosts must be between 1 and \(Self.hostRange.upperBound) (as platform.nodes), found \(hosts)")
        }
        guard Self.slotRange.contains(slots) else {
            throw ValidationError("--slots must be between 1 and \(Self.slotRange.upperBound) (as platform.maxVMs), found \(slots)")
        }
        _ = try prepSeconds()
    }

    /// `--prep` in seconds.
    func prepSeconds() throws -> Double {
        let seconds = try? ScenarioLoader.commandLineDuration(prep, flag: "--prep")
        guard let seconds = seconds ?? nil, seconds.isFinite, Self.prepRange.contains(seconds) else {
            throw ValidationError("--prep must be a number of seconds from 0 to 1e9 or a duration like 35s, found \(prep)")
        }
        return seconds
    }

    /// Refuses, before building it, a grid that would not fit in the memory available.
    func checkMemory(jobs: Int) throws {
        var counts = MemoryEstimate.Counts()
        counts.nodes = hosts
        counts.rememberedRequests = hosts * 10
        counts.workerVMs = hosts * slots
        counts.applications = jobs
        counts.objects = jobs
        counts.traceJobs = jobs
        let estimate = MemoryEstimate(counts: counts)
        if let limit = MemoryEstimate.availableBytes(), estimate.bytes > limit {
            throw CLIError.badInput("--hosts \(hosts) --slots \(slots): " + estimate.refusal(limitBytes: limit, limitName: "the memory available on this machine"))
        }
    }

    func run() throws {
        let provenance = try CommandProvenance.make()
        let jobs: [TraceJob]
        do {
            jobs = try TraceFile.load(path: jobsFile, format: .csv).jobs
        } catch {
            throw CLIError.badInput(error.description)
        }
        try checkMemory(jobs: jobs.count)
        let scenario = VMPoolBenchmark.scenario(jobs: jobs, hosts: hosts, slots: slots, prepSeconds: try prepSeconds())
        var simulation = Simulation(scenario: scenario)
        let metrics = simulation.run()
        if json {
            var result = VMPoolBenchmark.Result(metrics, hosts: hosts)
            result.provenance = provenance
            print(JSONReport.text(result))
        } else {
            print(VMPoolBenchmark.report(metrics, hosts: hosts))
        }
    }
}
