import Foundation

extension SeedCheck.Report {
    /// `check --json`: the same figures as `table()`, every failing seed's first violation, and the
    /// provenance block. Keys sorted; results in seed order.
    struct Document: Encodable {
        struct InvariantRow: Encodable {
            let invariant: String
            let failingSeeds: [UInt64]
            let violations: Int
        }

        struct FailingSeed: Encodable {
            let seed: UInt64
            let digest: String
            let firstViolation: InvariantViolation
        }

        let seedCount: Int
        let failingSeeds: [UInt64]
        let events: UInt64
        let wallSeconds: Double
        let invariants: [InvariantRow]
        let failures: [FailingSeed]
        let provenance: Provenance?
    }

    public func json(provenance: Provenance?) -> String {
        let document = Document(
            seedCount: results.count, failingSeeds: failingSeeds, events: results.reduce(0) { $0 + $1.events },
            wallSeconds: wallSeconds,
            invariants: byInvariant().map { .init(invariant: $0.invariant.rawValue, failingSeeds: $0.seeds, violations: $0.violations) },
            failures: results.compactMap { result in
                result.firstViolation.map { .init(seed: result.seed, digest: result.digest, firstViolation: $0) }
            },
            provenance: provenance)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(document) else { preconditionFailure("a check report always encodes") }
        return String(decoding: data, as: UTF8.self)
    }
}
