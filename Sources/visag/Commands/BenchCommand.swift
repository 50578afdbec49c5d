import ArgumentParser
import Bench
import Foundation
import Sim

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks.",
        discussion: ExitStatus.discussion,
        subcommands: [VMPoolCommand.self, MatrixBenchCommand.self, MatrixWorkerCommand.self])
}

struct VMPoolCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vm-pool",
        abstract: "Runs the shared vm-pool workload through Model and Sim and prints the reference's lines.",
        discussion: ExitStatus.after("""
            Example: visag bench vm-pool --jobs-file bench/out/jobs_100k.csv --hosts 1000
            """))

    /// An input, so not `--trace` (which names an output trace in every other subcommand).
    @Option(name: .customLong("jobs-file"), help: "Jobs to run (CSV: id,arrival_s,compute_s).")
    var jobsFile: String
    @Option(help: "Hosts.")
    var hosts: Int = 1000
    @Option(help: "VM slots per host.")
    var slots: Int = 8
    @Option(help: "VM preparation seconds (revert plus DHCP).")
    var prep: Double = 35

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
        guard prep.isFinite, Self.prepRange.contains(prep) else {
            throw ValidationError("--prep must be a number of seconds from 0 to 1e9, found \(prep)")
        }
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
        let jobs: [TraceJob]
        do {
            jobs = try TraceFile.load(path: jobsFile, format: .csv).jobs
        } catch {
            throw CLIError.badInput(error.description)
        }
        try checkMemory(jobs: jobs.count)
        let scenario = VMPoolBenchmark.scenario(jobs: jobs, hosts: hosts, slots: slots, prepSeconds: prep)
        var simulation = Simulation(scenario: scenario)
        let metrics = simulation.run()
        print(VMPoolBenchmark.report(metrics, hosts: hosts))
    }
}
