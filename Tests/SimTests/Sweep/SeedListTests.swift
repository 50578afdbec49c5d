import Sim
import XCTest

/// The one parser of seed lists (`--seeds`, a sweep file's `seeds:`).
final class SeedListTests: XCTestCase {
    func parse(_ text: String, max: Int = 1000) throws -> SeedList { try SeedList(parsing: text, maxSeeds: max) }

    func testFormsOrderAndDuplicates() throws {
        XCTAssertEqual(try parse("7").seeds, [7])
        XCTAssertEqual(try parse("1..4").seeds, [1, 2, 3, 4])
        XCTAssertEqual(try parse("9, 2,5").seeds, [9, 2, 5], "in the order written, spaces ignored")
        let mixed = try parse("5..8,1..6,20")
        XCTAssertEqual(mixed.seeds, [5, 6, 7, 8, 1, 2, 3, 4, 20], "a seed named twice runs once, at its first place")
        XCTAssertEqual(mixed.count, 9)
        XCTAssertEqual(mixed.description, "5..8,1..4,20")
        XCTAssertEqual(mixed.position(of: 2), 5)
        XCTAssertNil(mixed.position(of: 9))
        XCTAssertTrue(mixed.contains(20) && !mixed.contains(19))
        XCTAssertEqual(mixed.first, 5)
        XCTAssertNil(mixed.range)
        XCTAssertEqual(try parse("3,4,5..6").range, 3...6, "written in pieces, still one range")
        let big = try parse("1..10000000", max: 10_000_000)
        XCTAssertEqual(big.count, 10_000_000)
        XCTAssertEqual(big.ranges, [1...10_000_000], "kept as a range, not expanded")
    }

    func testErrorsSayWhatIsWrong() {
        for (text, message) in [("", "\"\" is not a seed N"), ("1,,2", "\"\" is not a seed N or a range A..B (in \"1,,2\")"),
                                ("5..2", "\"5..2\": a range A..B needs A <= B"), ("-1", "\"-1\" is not a seed"),
                                ("1..2..3", "is not a seed N or a range"), ("1..2000", "more than 1000 seeds")] {
            XCTAssertThrowsError(try parse(text), text) { error in
                XCTAssertTrue((error as? SeedList.ParseError)?.message.contains(message) ?? false, "\(text): \(error)")
            }
        }
    }
}
