import ArgumentParser
import Foundation
import Sim

struct ShrinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shrink",
        abstract: "Reduces a failing seed's scenario while the same invariant still fails.",
        discussion: ExitStatus.help(examples: ["visag shrink Scenarios/races/dhcp-lease.yaml --seed 2 --output small.yaml"]))

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "The failing seed.")
    var seed: UInt64
    @Option(help: "Where to write the reduced scenario (YAML; required).")
    var output: String?
    @Option(name: .customLong("out"), help: FileOutputOption.deprecatedHelp)
    var deprecatedOut: String?
    @Option(help: "The invariant to keep failing (default: the first one the seed breaks).")
    var invariant: String?
    @Option(name: .customLong("set"), help: "Override a scenario field: path=value (repeatable).")
    var overrides: [String] = []
    @Flag(help: "Print the result as one JSON object (as check --json's shrunk block), with the provenance block.")
    var json = false

    func run() throws {
        let out = try FileOutputOption.path(output: output, deprecatedOut: deprecatedOut)
        _ = try loadScenario(scenario, overrides: overrides)
        let provenance = try CommandProvenance.make(scenario: scenario, overrides: overrides, seed: seed)
        var wanted: Invariant? = nil
        if let invariant {
            guard let parsed = Invariant(rawValue: invariant) else {
                throw CLIError.badInput("--invariant: expected one of "
                    + Invariant.allCases.map(\.rawValue).joined(separator: ", ") + ", found \"\(invariant)\"")
            }
            wanted = parsed
        }
        let result: Shrinker.Result
        do {
            result = try Shrinker.shrink(path: scenario, overrides: overrides, seed: seed, invariant: wanted)
        } catch let failure as Shrinker.Failure {
            throw CLIError.runFailed(failure.description)
        }
        let header = """
        # Shrunk from \(scenario) (seed \(seed)): \(result.invariant.rawValue) still fails here with seed \(result.seed).
        # Reproduce with: \(ShellCommand.visag(["replay", out]))
        # Reductions: \(result.overrides.joined(separator: " "))

        """
        do {
            try OutputFile.write(header + result.yaml, to: out)
        } catch {
            throw CLIError.runFailed("\(error)")
        }
        if json {
            let shrunk = CheckReport.Shrunk(fromSeed: seed, seed: result.seed, invariant: result.invariant.rawValue,
                                            overrides: result.overrides, steps: result.steps, runs: result.runs,
                                            replay: ShellCommand.visag(["replay", out]))
            print(JSONReport.text(ShrinkReport(shrunk: shrunk, output: out, provenance: provenance)))
            return
        }
        for step in result.steps { print("kept: \(step)") }
        if result.seed != seed {
            print("the seed changed from \(seed) to \(result.seed): a smaller scenario draws other random numbers, "
                + "so the race needed another seed (the file records it)")
        }
        print("\(result.invariant.rawValue) fails with seed \(result.seed) after \(result.runs) runs; wrote \(out)")
        print("replay with: \(ShellCommand.visag(["replay", out]))")
    }
}
