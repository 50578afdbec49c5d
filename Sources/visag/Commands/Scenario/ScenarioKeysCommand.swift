import ArgumentParser
import Foundation
import Sim

/// `visag scenario`: about scenario files themselves.
struct ScenarioCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "About scenario files: the keys they may set.",
        discussion: ExitStatus.help(examples: ["visag scenario keys hypervisor"]),
        subcommands: [ScenarioKeysCommand.self])
}

/// `visag scenario keys [PREFIX] [--json]`: the loader's own key table (`ScenarioKeys`), so the listing is exactly
/// what a scenario file may set.
struct ScenarioKeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Lists every scenario key with its type, default, unit and meaning.",
        discussion: ExitStatus.help("""
            The list is the table the scenario loader checks files against: a key it does not list is refused. \
            A key under a list is written with [] (platform.nodeOverrides[].cores); a default in words depends on \
            other keys. Durations take 250ms, 30s, 5m, 2h, 1d; a distribution is a fixed value or \
            {uniform: [low, high]}, {exponential: mean}, {lognormal: {median: m, sigma: s}}, {empirical: [...]}.
            """, examples: ["visag scenario keys hypervisor", "visag scenario keys policies.wake --json"]))

    @Argument(help: "Only the keys at or under this prefix, e.g. hypervisor, policies.wake or platform.nodeOverrides.")
    var prefix: String?

    @Flag(help: "Print the keys as a JSON array of {key, type, values, default, unit, meaning}.")
    var json = false

    func run() throws {
        let keys = ScenarioKeys.matching(prefix: prefix ?? "")
        guard !keys.isEmpty else {
            let near = ScenarioKeys.suggestion(forPrefix: prefix ?? "").map { "; did you mean \"\($0)\"?" } ?? ""
            throw CLIError.badInput("no scenario key is or starts with \"\(prefix ?? "")\"\(near) "
                                    + "(`visag scenario keys` lists them all)")
        }
        print(json ? try Self.json(keys) : Self.table(keys), terminator: "")
    }

    /// One line a key, columns aligned; a section's empty default and unit print as "-".
    static func table(_ keys: [ScenarioKey]) -> String {
        let header = ["KEY", "TYPE", "DEFAULT", "UNIT", "MEANING"]
        let rows = [header] + keys.map { key in
            [key.path, key.type.name, key.defaultValue.isEmpty ? "-" : key.defaultValue,
             key.unit.isEmpty ? "-" : key.unit, key.meaning]
        }
        let widths = (0..<header.count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, text in
                column < widths.count ? text.padding(toLength: widths[column] + 2, withPad: " ", startingAt: 0) : text
            }.joined()
        }.joined(separator: "\n") + "\n"
    }

    struct Row: Encodable {
        var key: String
        var type: String
        var values: [String]?
        var `default`: String?
        var unit: String?
        var meaning: String
    }

    static func json(_ keys: [ScenarioKey]) throws -> String {
        let rows = keys.map { key in
            Row(key: key.path, type: kind(key.type),
                values: key.type.values.isEmpty ? nil : key.type.values,
                default: key.defaultValue.isEmpty ? nil : key.defaultValue,
                unit: key.unit.isEmpty ? nil : key.unit, meaning: key.meaning)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(rows), as: UTF8.self) + "\n"
    }

    /// A machine-readable name for the types whose printed name lists alternatives.
    static func kind(_ type: ScenarioKey.ValueType) -> String {
        switch type {
        case .choice: "choice"
        case .choiceOrSection: "choice|section"
        case .durationOrNever: "duration|never"
        case .nodeOrRandom: "node|random"
        case .files: "file|list"
        case .section, .list, .duration, .integer, .number, .fraction, .bool, .distribution, .text, .file,
             .messageKinds: type.name
        }
    }
}
