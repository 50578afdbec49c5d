import Foundation

/// Text for HTML and inline SVG. Everything that comes from a file (scenario names, axis
/// values, overrides) goes through `escape`, so no input can add markup to the report.
enum HTMLText {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// A coordinate for SVG: two decimals, no exponent, no "-0".
    static func coordinate(_ value: Double) -> String {
        let text = String(format: "%.2f", value)
        return text == "-0.00" ? "0.00" : text
    }

    /// A mean with its 95 % interval, `12.3 [10.1, 15.0]`, rounded to the interval's width's second significant digit.
    static func meanWithInterval(_ mean: Double, low: Double, high: Double) -> String {
        guard mean.isFinite else { return "–" }
        let width = high - low
        guard width.isFinite, width > 0 else { return number(mean) }
        let decimals = min(6, max(0, 1 - Int(floor(log10(width / 2)))))
        let format = "%.\(decimals)f"
        return String(format: format, mean) + " [" + String(format: format, low) + ", "
            + String(format: format, high) + "]"
    }

    /// A plain number with four significant digits (no exponent below a million).
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        if value == value.rounded(), abs(value) < 1e6 { return String(format: "%.0f", value) }
        if abs(value) >= 1e6 || abs(value) < 1e-3 { return String(format: "%.3g", value) }
        let decimals = max(0, 3 - Int(floor(log10(abs(value)))))
        return String(format: "%.\(decimals)f", value)
    }
}
