import Foundation

/// How a command's `--json` prints its result: one object, keys sorted (equal results print equal bytes), an
/// infinity or NaN as a string rather than a failure.
public enum JSONReport {
    public static func text<T: Encodable>(_ value: T, pretty: Bool = false) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
            : [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        do {
            return String(decoding: try encoder.encode(value), as: UTF8.self)
        } catch {
            preconditionFailure("a report of plain values always encodes: \(error)")
        }
    }
}
