import Foundation
import Sim

/// A time-valued flag takes what a scenario's durations take: seconds (`35`, `0.5`) or a value with a unit
/// (`250ms`, `30s`, `5m`, `2h`, `1d`), parsed as one value (`ScenarioLoader.commandLineDuration`).
enum DurationFlag {
    /// Seconds in `range`; `never` and out-of-range values are bad input naming the flag.
    static func seconds(_ text: String, flag: String, in range: ClosedRange<Double>) throws -> Double {
        let parsed: Double?
        do {
            parsed = try ScenarioLoader.commandLineDuration(text, flag: flag)
        } catch let error as ScenarioError {
            throw CLIError.badInput("\(flag): expected seconds or a duration like 30s, found \"\(text)\" (\(error.message))")
        }
        guard let seconds = parsed, seconds.isFinite, range.contains(seconds) else {
            if range.upperBound == .infinity {
                throw CLIError.badInput("\(flag): expected seconds >= \(Self.text(range.lowerBound)) or a duration like 30s, "
                                        + "found \"\(text)\"")
            }
            throw CLIError.badInput("\(flag): expected a time from \(Self.text(range.lowerBound)) to "
                                    + "\(Self.text(range.upperBound)) seconds, found \"\(text)\"")
        }
        return seconds
    }

    static func text(_ seconds: Double) -> String { String(format: "%g", seconds) }
}
