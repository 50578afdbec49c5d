import Foundation
import Sim
import XCTest

/// `visag scenario keys`: the loader's key table, as text, as JSON, and filtered by a prefix.
final class ScenarioKeysCLITests: XCTestCase {
    func testTheListingHasEveryKeyTheLoaderAccepts() throws {
        let r = try VisagCLI.run(["scenario", "keys"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        XCTAssertTrue(lines.first?.hasPrefix("KEY ") ?? false, r.stdout)
        let listed = lines.dropFirst().map { String($0.prefix { $0 != " " }) }
        XCTAssertEqual(listed, ScenarioKeys.all.map(\.path))
        // Columns are aligned: every line's type starts where the header's TYPE does.
        let typeColumn = lines[0].range(of: "TYPE")!.lowerBound.utf16Offset(in: lines[0])
        let revert = try XCTUnwrap(lines.first { $0.hasPrefix("hypervisor.revert ") })
        XCTAssertTrue(revert.dropFirst(typeColumn).hasPrefix("distribution"), revert)
        XCTAssertTrue(revert.contains(" 30 ") && revert.contains("clean snapshot"), revert)
    }

    func testJSONHasTypesValuesDefaultsAndUnits() throws {
        let r = try VisagCLI.run(["scenario", "keys", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let rows = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [[String: Any]])
        XCTAssertEqual(rows.compactMap { $0["key"] as? String }, ScenarioKeys.all.map(\.path))
        let wake = try XCTUnwrap(rows.first { $0["key"] as? String == "policies.wake" })
        XCTAssertEqual(wake["type"] as? String, "choice")
        XCTAssertEqual(wake["values"] as? [String], ["revert", "reuseClean"])
        XCTAssertEqual(wake["default"] as? String, "revert")
        let lease = try XCTUnwrap(rows.first { $0["key"] as? String == "dhcp.lease" })
        XCTAssertEqual(lease["unit"] as? String, "s")
        XCTAssertEqual(lease["default"] as? String, "3600")
    }

    func testAPrefixFiltersAndAnUnknownOneIsBadInput() throws {
        let r = try VisagCLI.run(["scenario", "keys", "platform.nodeOverrides"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let keys = r.stdout.split(separator: "\n").dropFirst().map { String($0.prefix { $0 != " " }) }
        XCTAssertEqual(keys.first, "platform.nodeOverrides")
        XCTAssertTrue(keys.dropFirst().allSatisfy { $0.hasPrefix("platform.nodeOverrides[].") }, r.stdout)
        XCTAssertEqual(keys.count, 8)
        let bad = try VisagCLI.run(["scenario", "keys", "hypervisr"])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("did you mean \"hypervisor\"?"), bad.stderr)
        XCTAssertTrue(bad.stdout.isEmpty)
    }

    func testAScenarioTypoPointsAtTheListing() throws {
        let r = try VisagCLI.run(["run", "Scenarios/quickstart.yaml", "--set", "hypervisor.revrt=5"])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.stderr.contains("did you mean \"revert\"? (all keys: visag scenario keys hypervisor)"), r.stderr)
    }
}
