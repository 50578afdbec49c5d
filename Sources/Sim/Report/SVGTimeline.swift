import Foundation

/// The VM state timeline as inline SVG: one row per VM, one bar per state span, over
/// `[fromSeconds, toSeconds]` of simulated time.
struct SVGTimeline {
    var timeline: VMTimeline
    var fromSeconds: Double
    var toSeconds: Double

    static let width = 1080.0
    static let labelWidth = 150.0
    static let rowHeight = 13.0
    static let rowGap = 4.0
    static let top = 8.0
    static let bottom = 40.0
    /// Above this many bars the per-bar tooltips are left out to keep the file small.
    static let maxTooltips = 20_000

    static let colours: [VMState: String] = [
        .cloning: "#CC79A7", .reverting: "#D55E00", .waking: "#F0A37A", .address: "#E69F00", .keys: "#E5C94A", .stopping: "#7F7F7F",
        .running: "#0072B2", .reserved: "#56B4E9", .suspended: "#BDBDBD", .off: "#ECECEC", .free: "#CFE8D4",
    ]

    /// Seconds, minutes or hours, whichever suits the window.
    static func timeUnit(for seconds: Double) -> (name: String, seconds: Double) {
        seconds >= 3 * 3600 ? ("h", 3600) : seconds >= 180 ? ("min", 60) : ("s", 1)
    }

    static func legend() -> String {
        VMState.allCases.map { state in
            "<span class=\"key\"><svg width=\"14\" height=\"10\"><rect width=\"14\" height=\"10\" fill=\"\(colours[state]!)\" "
                + "stroke=\"#888\" stroke-width=\"0.5\"/></svg> \(HTMLText.escape(state.label))</span>"
        }.joined(separator: " ")
    }

    func svg() -> String {
        let rows = timeline.rows
        let plotWidth = Self.width - Self.labelWidth - 12
        let height = Self.top + Double(rows.count) * (Self.rowHeight + Self.rowGap) + Self.bottom
        let span = max(toSeconds - fromSeconds, 1e-9)
        func x(_ t: Double) -> Double { Self.labelWidth + plotWidth * (t - fromSeconds) / span }
        let unit = Self.timeUnit(for: span)
        let scale = NiceScale(low: fromSeconds / unit.seconds, high: toSeconds / unit.seconds, target: 10)

        let bars = rows.reduce(0) { $0 + $1.spans.count }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"timeline\" viewBox=\"0 0 \(Int(Self.width)) \(Int(height))\" "
            + "width=\"\(Int(Self.width))\" height=\"\(Int(height))\" role=\"img\" aria-label=\"VM state timeline\">"
        let plotBottom = height - Self.bottom
        for tick in scale.ticks where tick * unit.seconds >= fromSeconds - 1e-9 && tick * unit.seconds <= toSeconds + 1e-9 {
            let tx = HTMLText.coordinate(x(tick * unit.seconds))
            out += "<line x1=\"\(tx)\" x2=\"\(tx)\" y1=\"\(HTMLText.coordinate(Self.top - 2))\" y2=\"\(HTMLText.coordinate(plotBottom + 4))\" class=\"grid\"/>"
            out += "<text x=\"\(tx)\" y=\"\(HTMLText.coordinate(plotBottom + 16))\" class=\"xtick\">\(scale.label(tick))</text>"
        }
        out += "<text x=\"\(HTMLText.coordinate(Self.labelWidth + plotWidth / 2))\" y=\"\(HTMLText.coordinate(height - 6))\" "
            + "class=\"xlabel\">simulated time (\(unit.name))</text>"
        for (r, row) in rows.enumerated() {
            let ry = Self.top + Double(r) * (Self.rowHeight + Self.rowGap)
            let name = "vm \(row.vm) · node\(row.node)_worker\(row.ordinal)"
            out += "<text x=\"\(HTMLText.coordinate(Self.labelWidth - 6))\" y=\"\(HTMLText.coordinate(ry + Self.rowHeight - 3))\" "
                + "class=\"rowlabel\">\(HTMLText.escape(name))</text>"
            out += "<rect x=\"\(HTMLText.coordinate(Self.labelWidth))\" y=\"\(HTMLText.coordinate(ry))\" width=\"\(HTMLText.coordinate(plotWidth))\" "
                + "height=\"\(HTMLText.coordinate(Self.rowHeight))\" class=\"row\"/>"
            for span in row.spans where span.toSeconds > fromSeconds && span.fromSeconds < toSeconds {
                let x0 = x(max(span.fromSeconds, fromSeconds))
                let x1 = x(min(span.toSeconds, toSeconds))
                // Short operations stay visible as hairlines in a long window.
                let w = max(x1 - x0, 0.6)
                var bar = "<rect x=\"\(HTMLText.coordinate(x0))\" y=\"\(HTMLText.coordinate(ry))\" width=\"\(HTMLText.coordinate(w))\" "
                    + "height=\"\(HTMLText.coordinate(Self.rowHeight))\" fill=\"\(Self.colours[span.state]!)\""
                if bars <= Self.maxTooltips {
                    bar += "><title>\(HTMLText.escape(name)): \(HTMLText.escape(span.state.label)), "
                        + "\(HTMLText.number(span.fromSeconds))–\(HTMLText.number(span.toSeconds)) s</title></rect>"
                } else {
                    bar += "/>"
                }
                out += bar
            }
        }
        out += "<line x1=\"\(HTMLText.coordinate(Self.labelWidth))\" x2=\"\(HTMLText.coordinate(Self.labelWidth + plotWidth))\" "
            + "y1=\"\(HTMLText.coordinate(plotBottom))\" y2=\"\(HTMLText.coordinate(plotBottom))\" class=\"axis\"/>"
        return out + "</svg>"
    }
}
