import ArgumentParser
import Sim

/// `--seeds` in every command: `Sim.SeedList`, the same parser a sweep file's `seeds:` uses.
extension SeedList: ExpressibleByArgument {
    /// A bound on the work one flag can ask for.
    static let maxFlagSeeds = 100_000_000

    public init?(argument: String) {
        guard let list = try? SeedList(parsing: argument, maxSeeds: Self.maxFlagSeeds) else { return nil }
        self = list
    }

    /// For `@Option(transform:)`: the parser's own reason when the text is not a seed list.
    static func flag(_ text: String) throws -> SeedList {
        do { return try SeedList(parsing: text, maxSeeds: maxFlagSeeds) } catch { throw ValidationError(error.message) }
    }
}
