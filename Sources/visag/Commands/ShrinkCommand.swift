import ArgumentParser
import Foundation
import Sim

struct ShrinkCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shrink",
        abstract: "Reduces a failing seed's scenario while the same invariant still fails.",
        discussion: ExitStatus.discussion)

    @Argument(help: "Scenario file (YAML).")
    var scenario: String
    @Option(help: "The failing seed.")
    var seed: UInt64
    @Option(help: "Where to write the reduced scenario.")
    var out: String
    @Option(help: "The invariant to keep failing (default: the first one the seed breaks).")
    var invariant: String?
    @Option(name: .customLong("set"), help: "Override a scenario field: path=value (repeatable).")
    var overrides: [String] = []

    func run() throws {
        _ = try loadScenario(scenario, overrides: overrides)
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
        for step in result.steps { print("kept: \(step)") }
        if result.seed != seed {
            print("the seed changed from \(seed) to \(result.seed): a smaller scenario draws other random numbers, "
                + "so the race needed another seed (the file records it)")
        }
        print("\(result.invariant.rawValue) fails with seed \(result.seed) after \(result.runs) runs; wrote \(out)")
        print("replay with: \(ShellCommand.visag(["replay", out]))")
    }
}
