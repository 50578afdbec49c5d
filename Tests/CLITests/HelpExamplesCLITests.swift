import ArgumentParser
import Foundation
@testable import visag
import XCTest

/// Every subcommand's help shows at least one command line that works from the repository's root, and states
/// each default once.
final class HelpExamplesCLITests: XCTestCase {
    /// Every command a user can call, with its words after `visag` (hidden ones left out).
    static func commands(_ command: ParsableCommand.Type = Visag.self, path: [String] = []) -> [([String], ParsableCommand.Type)] {
        let configuration = command.configuration
        guard configuration.shouldDisplay else { return [] }
        let here = path.isEmpty ? [] : [(path, command)]
        return here + configuration.subcommands.flatMap {
            commands($0, path: path + [$0.configuration.commandName ?? ""])
        }
    }

    /// The example lines of a command's discussion (`Example:` or `Examples:`, then one indented line each).
    static func examples(_ command: ParsableCommand.Type) -> [String] {
        let lines = command.configuration.discussion.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0 == "Example:" || $0 == "Examples:" }) else { return [] }
        return lines[(start + 1)...].prefix { $0.hasPrefix("  visag ") }.map { String($0.dropFirst(2)) }
    }

    func testEverySubcommandsHelpHasExamplesThatParse() throws {
        let commands = Self.commands()
        XCTAssertGreaterThanOrEqual(commands.count, 18, commands.map(\.0).description)
        for (path, command) in commands {
            let examples = Self.examples(command)
            XCTAssertFalse(examples.isEmpty, "\(path) has no Example section")
            for example in examples {
                // Short enough that the help page never wraps it: it can be copied as printed.
                XCTAssertLessThan(example.count + 2, 80, example)
                let words = example.split(separator: " ").map(String.init)
                XCTAssertEqual(Array(words.dropFirst().prefix(path.count)), path, "\(path): \(example)")
                do {
                    _ = try Visag.parseAsRoot(Array(words.dropFirst()))
                } catch {
                    XCTFail("\(example): \(Visag.message(for: error))")
                }
                for word in words where word.hasPrefix("Scenarios/") || word.hasPrefix("Tests/") {
                    XCTAssertTrue(FileManager.default.fileExists(atPath: CLITests.packageRoot.appendingPathComponent(word).path),
                                  "\(example): no \(word) in the repository")
                }
            }
            let help = try VisagCLI.run(path + ["--help"])
            XCTAssertEqual(help.status, 0, "\(path)")
            for example in examples { XCTAssertTrue(help.stdout.contains("  " + example + "\n"), "\(path): \(help.stdout)") }
        }
    }

    /// argument-parser prints "(default: …)" for an option with a default value; its own help says nothing more.
    func testNoOptionStatesItsDefaultTwice() throws {
        for (path, _) in Self.commands() {
            let help = try VisagCLI.run(path + ["--help"]).stdout
            let options = help.components(separatedBy: "\n  -").dropFirst()
            for option in options {
                let text = option.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                guard text.contains("(default: "), let printed = text.range(of: "(default: ", options: .backwards) else { continue }
                XCTAssertFalse(text[..<printed.lowerBound].lowercased().contains("(default"), "\(path): -\(text)")
                XCTAssertFalse(text[..<printed.lowerBound].lowercased().contains("; default"), "\(path): -\(text)")
            }
        }
    }

    /// The examples that need no hypervisor, network or earlier output run as printed.
    func testSelfContainedExamplesRun() throws {
        for example in ["visag run Scenarios/quickstart.yaml --seed 7",
                        "visag bench vm-pool --jobs-file Tests/SimTests/Fixtures/jobs_2k.csv --prep 1m"] {
            XCTAssertTrue(Self.commands().contains { Self.examples($0.1).contains(example) }, example)
            let run = try VisagCLI.run(example.split(separator: " ").dropFirst().map(String.init))
            XCTAssertEqual(run.status, 0, "\(example): \(run.stderr)")
        }
    }
}
