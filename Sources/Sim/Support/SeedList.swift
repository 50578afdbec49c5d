import Foundation

/// Seeds as a user writes them, in flags (`check --seeds`, `validate --seeds`) and in sweep files (`seeds:`): `7`,
/// `1..100` (inclusive), and comma-separated lists of both, `2,5,9` or `1..10,40,90..95`. The one parser of them.
///
/// Kept as ranges, not expanded, so `1..10000000` costs three words. The seeds run in the order written; a seed
/// named twice runs once, at its first place.
public struct SeedList: Sendable, Equatable, Sequence, CustomStringConvertible {
    /// Disjoint, non-empty, in the order written.
    public private(set) var ranges: [ClosedRange<UInt64>]
    public private(set) var count: Int

    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public init(_ range: ClosedRange<UInt64>) {
        ranges = [range]
        count = Int(range.upperBound - range.lowerBound) + 1
    }

    /// `text`: items separated by commas (spaces around them are ignored), each `N` or `A..B` with A <= B.
    /// More than `maxSeeds` seeds in all is an error.
    public init(parsing text: String, maxSeeds: Int) throws(ParseError) {
        ranges = []
        count = 0
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let word = item.trimmingCharacters(in: .whitespaces)
            let parts = word.components(separatedBy: "..")
            let range: ClosedRange<UInt64>
            if parts.count == 1, let seed = UInt64(parts[0]) {
                range = seed...seed
            } else if parts.count == 2, let low = UInt64(parts[0]), let high = UInt64(parts[1]) {
                guard low <= high else {
                    throw ParseError(message: "\"\(word)\": a range A..B needs A <= B")
                }
                range = low...high
            } else {
                throw ParseError(message: "\"\(word)\" is not a seed N or a range A..B"
                                 + (word == text ? "" : " (in \"\(text)\")"))
            }
            try append(range, maxSeeds: maxSeeds)
        }
        guard count > 0 else { throw ParseError(message: "no seeds in \"\(text)\"") }
    }

    /// Adds what `range` holds that the list does not hold yet.
    private mutating func append(_ range: ClosedRange<UInt64>, maxSeeds: Int) throws(ParseError) {
        var pieces = [range]
        for held in ranges {
            pieces = pieces.flatMap { Self.subtracting(held, from: $0) }
        }
        for piece in pieces {
            let size = piece.upperBound - piece.lowerBound
            guard size < UInt64(maxSeeds), count + Int(size) < maxSeeds else {
                throw ParseError(message: "more than \(maxSeeds) seeds")
            }
            ranges.append(piece)
            count += Int(size) + 1
        }
    }

    /// `range` without `held`: none, one or two ranges, in order.
    private static func subtracting(_ held: ClosedRange<UInt64>, from range: ClosedRange<UInt64>) -> [ClosedRange<UInt64>] {
        guard range.overlaps(held) else { return [range] }
        var left: [ClosedRange<UInt64>] = []
        if range.lowerBound < held.lowerBound { left.append(range.lowerBound...(held.lowerBound - 1)) }
        if range.upperBound > held.upperBound { left.append((held.upperBound + 1)...range.upperBound) }
        return left
    }

    /// The first seed written.
    public var first: UInt64 { ranges[0].lowerBound }

    /// Every seed, in order (`count` of them: for lists a command runs, never for a sweep's bound).
    public var seeds: [UInt64] { Array(self) }

    /// The one ascending range the list is, if it is one (`2..5`; `2,3,4,5` too).
    public var range: ClosedRange<UInt64>? {
        var merged = ranges[0]
        for next in ranges.dropFirst() {
            guard merged.upperBound != .max, next.lowerBound == merged.upperBound + 1 else { return nil }
            merged = merged.lowerBound...next.upperBound
        }
        return merged
    }

    public func contains(_ seed: UInt64) -> Bool { ranges.contains { $0.contains(seed) } }

    /// Where `seed` runs in the list (0 for the first), if it is in it.
    public func position(of seed: UInt64) -> Int? {
        var before = 0
        for range in ranges {
            if range.contains(seed) { return before + Int(seed - range.lowerBound) }
            before += Int(range.upperBound - range.lowerBound) + 1
        }
        return nil
    }

    /// The list as it can be written again: `1..10,40`.
    public var description: String {
        ranges.map { $0.lowerBound == $0.upperBound ? "\($0.lowerBound)" : "\($0.lowerBound)..\($0.upperBound)" }
            .joined(separator: ",")
    }

    public func makeIterator() -> FlattenSequence<[ClosedRange<UInt64>]>.Iterator { ranges.joined().makeIterator() }
}
