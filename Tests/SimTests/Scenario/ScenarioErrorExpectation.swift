import XCTest
@testable import Sim

/// The error `ScenarioLoader` gives for `text` (parsed as `file`); a test failure if it gives none
/// or throws something else.
func expectScenarioError(_ text: String, file: String, overrides: [String] = [], baseDirectory: String = ".",
                         sourceFile: StaticString = #filePath, line: UInt = #line) -> ScenarioError? {
    do {
        _ = try ScenarioLoader.parse(text: text, file: file, overrides: overrides, baseDirectory: baseDirectory)
        XCTFail("expected an error for:\n\(text)", file: sourceFile, line: line)
        return nil
    } catch let e as ScenarioError {
        return e
    } catch {
        XCTFail("unexpected \(error)", file: sourceFile, line: line)
        return nil
    }
}
