import Foundation
import Sim

/// The seeds that failed in the last `check` of each scenario (and its `--set` overrides), so `--last-failed`
/// runs them first, as pytest's `--lf` does. Kept in `.visag-cache/last-failed.json` under the working folder
/// (`VISAG_CACHE_DIR` elsewhere); a missing or unreadable cache is an empty one.
struct LastFailed {
    static var path: String {
        let folder = ProcessInfo.processInfo.environment["VISAG_CACHE_DIR"] ?? ".visag-cache"
        return folder + "/last-failed.json"
    }

    /// Key: the scenario path and its overrides, as given.
    static func key(scenario: String, overrides: [String]) -> String {
        ([scenario] + overrides).joined(separator: " ")
    }

    static func load() -> [String: [UInt64]] {
        guard let data = FileManager.default.contents(atPath: path),
              let table = try? JSONDecoder().decode([String: [UInt64]].self, from: data) else { return [:] }
        return table
    }

    static func seeds(for key: String) -> [UInt64] { load()[key] ?? [] }

    /// Records `failing` for `key` (its seeds that passed this time leave the list; an empty list is removed).
    static func record(_ failing: [UInt64], checked: [UInt64], for key: String) throws(OutputError) {
        var table = load()
        let checkedSet = Set(checked)
        var seeds = (table[key] ?? []).filter { !checkedSet.contains($0) }
        seeds = failing + seeds
        table[key] = seeds.isEmpty ? nil : seeds
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let text = (try? encoder.encode(table)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        try OutputFile.write(text + "\n", to: path, options: OutputFile.Options(createFolders: true))
    }
}
