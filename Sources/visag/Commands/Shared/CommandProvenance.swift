import BuildInfo
import Foundation
import Sim

/// The provenance block of a command's outputs: this build, the command line and the start time,
/// and, for scenario commands, the scenario with its overrides applied.
enum CommandProvenance {
    /// Call at the command's start (the date is then). A scenario is read again with `overrides`;
    /// the command has loaded it already, so a failure here is a file changed in between.
    static func make(scenario file: String? = nil, overrides: [String] = [], seed: UInt64? = nil,
                     seeds: SeedList? = nil, date: Date = Date()) throws -> Provenance {
        var provenance = Provenance(version: BuildInfo.version, revision: BuildInfo.revision,
                                    command: CommandLine.arguments, date: Provenance.timestamp(date))
        if let file {
            do {
                provenance.scenario = try Provenance.ScenarioSource.load(file: file, overrides: overrides)
            } catch let error as ScenarioError {
                throw CLIError.badInput(error.description)
            }
        }
        provenance.seed = seed
        if let seeds { provenance = provenance.with(seeds: seeds.range.map { [$0.lowerBound, $0.upperBound] } ?? seeds.seeds) }
        return provenance
    }
}
