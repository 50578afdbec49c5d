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
        discussion: ExitStatus.discussion)

    @Option(help: "Job trace (CSV: id,arrival_s,compute_s).")
    var trace: String
    @Option(help: "Hosts.")
    var hosts: Int = 1000
    @Option(help: "VM slots per host.")
    var slots: Int = 8
    @Option(help: "VM preparation seconds (revert plus DHCP).")
    var prep: Double = 35

    func validate() throws {
        guard hosts >= 1 else { throw ValidationError("--hosts must be >= 1, found \(hosts)") }
        guard slots >= 1 else { throw ValidationError("--slots must be >= 1, found \(slots)") }
        guard prep >= 0, prep.isFinite else { throw ValidationError("--prep must be a number of seconds >= 0, found \(prep)") }
    }

    func run() throws {
        let jobs: [TraceJob]
        do {
            jobs = try TraceFile.load(path: trace, format: .csv).jobs
        } catch {
            throw CLIError.badInput(error.description)
        }
        let scenario = VMPoolBenchmark.scenario(jobs: jobs, hosts: hosts, slots: slots, prepSeconds: prep)
        var simulation = Simulation(scenario: scenario)
        let metrics = simulation.run()
        print(VMPoolBenchmark.report(metrics, hosts: hosts))
    }
}
