import Foundation

/// A small line chart with 95 % confidence-interval error bars, as inline SVG: one metric
/// against one axis, one line per series (a combination of the other axes' values).
struct SVGLineChart {
    struct Point {
        /// Position among the axis values (categorical) or the value itself (numeric).
        var x: Double
        var mean: Double
        /// The 95 % interval's ends, drawn as computed (NaN: none).
        var low: Double
        var high: Double
        var n: Int
    }

    struct Series {
        var label: String
        var points: [Point]
    }

    var title: String
    var yLabel: String
    var xLabel: String
    /// Tick labels of a categorical axis (nil: numeric). Categories have no order between them, so their points
    /// are grouped side by side, never joined by lines.
    var categories: [String]?
    var series: [Series]
    /// How the intervals were computed (`IntervalMethod`'s name), for the CSV file.
    var intervalMethod = ""
    /// The quantity cannot be negative (a count, a time, a fraction): the axis never goes below 0, and the
    /// intervals, non-negative by their method, are drawn as computed.
    var nonNegative = true
    /// A time series sampled at instants: each series a step line (the value holds until the next instant), no
    /// markers or intervals.
    var steps = false

    static let width = 330.0
    static let height = 230.0
    static let margin = (left: 58.0, right: 14.0, top: 30.0, bottom: 46.0)

    /// Okabe–Ito colours (distinct for colour-blind readers), paired with marker shapes so
    /// the lines stay apart in greyscale print.
    static let colours = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#8C6D31"]

    static func marker(_ k: Int, x: Double, y: Double, colour: String) -> String {
        let (cx, cy) = (HTMLText.coordinate(x), HTMLText.coordinate(y))
        switch k % 4 {
        case 0: return "<circle cx=\"\(cx)\" cy=\"\(cy)\" r=\"3.2\" fill=\"\(colour)\"/>"
        case 1: return "<rect x=\"\(HTMLText.coordinate(x - 3))\" y=\"\(HTMLText.coordinate(y - 3))\" width=\"6\" height=\"6\" fill=\"\(colour)\"/>"
        case 2:
            let points = [(x, y - 3.8), (x - 3.6, y + 2.8), (x + 3.6, y + 2.8)]
                .map { "\(HTMLText.coordinate($0.0)),\(HTMLText.coordinate($0.1))" }.joined(separator: " ")
            return "<polygon points=\"\(points)\" fill=\"\(colour)\"/>"
        default:
            let points = [(x, y - 4), (x + 4, y), (x, y + 4), (x - 4, y)]
                .map { "\(HTMLText.coordinate($0.0)),\(HTMLText.coordinate($0.1))" }.joined(separator: " ")
            return "<polygon points=\"\(points)\" fill=\"\(colour)\"/>"
        }
    }

    func svg() -> String {
        let m = Self.margin
        let plotWidth = Self.width - m.left - m.right
        let plotHeight = Self.height - m.top - m.bottom
        let points = series.flatMap(\.points).filter { $0.mean.isFinite }
        let lows = points.map { $0.low.isFinite ? min($0.low, $0.mean) : $0.mean }
        let highs = points.map { $0.high.isFinite ? max($0.high, $0.mean) : $0.mean }
        var low = lows.min() ?? 0
        let high = highs.max() ?? 1
        // Counts, times and fractions start at zero unless every point and interval lies in the top third of the
        // range from 0 (then the chart says so), where a zero-based axis would squeeze the differences flat.
        if low >= 0, low <= 2.0 / 3 * high { low = 0 }
        if nonNegative { low = max(0, low) }
        let yScale = NiceScale(low: low, high: high, target: 5)
        precondition(!nonNegative || yScale.low >= 0, "a negative axis for a non-negative quantity")
        func y(_ value: Double) -> Double {
            m.top + plotHeight * (1 - (value - yScale.low) / (yScale.high - yScale.low))
        }
        let xs = points.map(\.x)
        let xLow: Double, xHigh: Double
        var xTicks: [(Double, String)]
        if let categories {
            (xLow, xHigh) = (-0.5, Double(categories.count) - 0.5)
            xTicks = categories.enumerated().map { (Double($0.offset), $0.element) }
        } else {
            let scale = NiceScale(low: xs.min() ?? 0, high: xs.max() ?? 1, target: 5)
            let pad = (scale.high - scale.low) * 0.04
            (xLow, xHigh) = (min(scale.low, (xs.min() ?? 0)) - pad, max(scale.high, (xs.max() ?? 1)) + pad)
            xTicks = scale.ticks.map { ($0, scale.label($0)) }
        }
        func x(_ value: Double) -> Double { m.left + plotWidth * (value - xLow) / (xHigh - xLow) }

        // What a browser test checks the drawing against: the kind of x axis and whether y can be negative.
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" "
            + "data-x=\"\(categories == nil ? "numeric" : "categorical")\" data-y=\"\(nonNegative ? "non-negative" : "any")\" "
            + "viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" "
            + "width=\"\(Int(Self.width))\" height=\"\(Int(Self.height))\" role=\"img\" aria-label=\"\(HTMLText.escape(title))\">"
        out += "<text x=\"\(HTMLText.coordinate(m.left))\" y=\"16\" class=\"title\">\(HTMLText.escape(title))</text>"
        // Grid and y ticks.
        for tick in yScale.ticks {
            let ty = HTMLText.coordinate(y(tick))
            out += "<line x1=\"\(HTMLText.coordinate(m.left))\" x2=\"\(HTMLText.coordinate(m.left + plotWidth))\" y1=\"\(ty)\" y2=\"\(ty)\" class=\"grid\"/>"
            out += "<text x=\"\(HTMLText.coordinate(m.left - 5))\" y=\"\(ty)\" class=\"ytick\">\(yScale.label(tick))</text>"
        }
        for (value, label) in xTicks where value >= xLow && value <= xHigh {
            let tx = HTMLText.coordinate(x(value))
            let bottom = m.top + plotHeight
            out += "<line x1=\"\(tx)\" x2=\"\(tx)\" y1=\"\(HTMLText.coordinate(bottom))\" y2=\"\(HTMLText.coordinate(bottom + 4))\" class=\"axis\"/>"
            out += "<text x=\"\(tx)\" y=\"\(HTMLText.coordinate(bottom + 15))\" class=\"xtick\">\(HTMLText.escape(label))</text>"
        }
        out += "<rect x=\"\(HTMLText.coordinate(m.left))\" y=\"\(HTMLText.coordinate(m.top))\" width=\"\(HTMLText.coordinate(plotWidth))\" "
            + "height=\"\(HTMLText.coordinate(plotHeight))\" class=\"frame\"/>"
        out += "<text x=\"\(HTMLText.coordinate(m.left + plotWidth / 2))\" y=\"\(HTMLText.coordinate(Self.height - 8))\" class=\"xlabel\">"
            + "\(HTMLText.escape(xLabel))</text>"
        out += "<text transform=\"translate(13 \(HTMLText.coordinate(m.top + plotHeight / 2))) rotate(-90)\" class=\"ylabel\">"
            + "\(HTMLText.escape(yLabel))</text>"
        if yScale.low != 0 {
            // Say so when the axis does not start at 0, so a difference is not read as larger than it is.
            // Under the title, above the frame, where no title runs into it.
            out += "<text x=\"\(HTMLText.coordinate(m.left))\" y=\"\(HTMLText.coordinate(m.top - 4))\" class=\"axisnote\">"
                + "y axis does not start at 0</text>"
        }
        // Series, dodged sideways so their error bars do not hide each other.
        let dodge = series.count > 1 ? min(5.0, plotWidth / Double(max(1, xTicks.count)) / Double(series.count + 2)) : 0
        for (k, s) in series.enumerated() {
            let colour = Self.colours[k % Self.colours.count]
            let offset = (Double(k) - Double(series.count - 1) / 2) * dodge
            let drawn = s.points.filter { $0.mean.isFinite }.sorted { $0.x < $1.x }
            if steps {
                // Across to the next instant, then up or down to its value: a path, not a polyline, so a step
                // chart is never taken for points joined across categories.
                guard let first = drawn.first else { continue }
                var path = "M\(HTMLText.coordinate(x(first.x))),\(HTMLText.coordinate(y(first.mean)))"
                for p in drawn.dropFirst() {
                    path += "H\(HTMLText.coordinate(x(p.x)))V\(HTMLText.coordinate(y(p.mean)))"
                }
                out += "<path d=\"\(path)\" class=\"step\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.4\">"
                    + "<title>\(HTMLText.escape(s.label))</title></path>"
                continue
            }
            if drawn.count > 1 && categories == nil {
                let path = drawn.map { "\(HTMLText.coordinate(x($0.x) + offset)),\(HTMLText.coordinate(y($0.mean)))" }
                    .joined(separator: " ")
                out += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"1.6\"/>"
            }
            for p in drawn {
                let px = x(p.x) + offset
                if p.low.isFinite, p.high.isFinite, p.high > p.low {
                    let (top, bottom) = (HTMLText.coordinate(y(p.high)), HTMLText.coordinate(y(p.low)))
                    let cx = HTMLText.coordinate(px)
                    out += "<g class=\"ci\" data-low=\"\(SweepResults.format(p.low))\" stroke=\"\(colour)\" stroke-width=\"1.1\">"
                        + "<line x1=\"\(cx)\" x2=\"\(cx)\" y1=\"\(top)\" y2=\"\(bottom)\"/>"
                        + "<line x1=\"\(HTMLText.coordinate(px - 3))\" x2=\"\(HTMLText.coordinate(px + 3))\" y1=\"\(top)\" y2=\"\(top)\"/>"
                        + "<line x1=\"\(HTMLText.coordinate(px - 3))\" x2=\"\(HTMLText.coordinate(px + 3))\" y1=\"\(bottom)\" y2=\"\(bottom)\"/></g>"
                }
                out += "<g>" + Self.marker(k, x: px, y: y(p.mean), colour: colour)
                    + "<title>\(HTMLText.escape(s.label.isEmpty ? "" : s.label + ": "))"
                    + "\(HTMLText.meanWithInterval(p.mean, low: p.low, high: p.high)) (n = \(p.n))</title></g>"
            }
        }
        return out + "</svg>"
    }

    /// The chart as a file of its own: the report's styles inside it, so it renders the same anywhere.
    /// Below the plot, a legend row per series (the report's page has one legend for all its charts).
    func standaloneSVG() -> String {
        var page = svg()
        let rows = series.count > 1 ? series.count : 0
        let height = Int(Self.height) + 16 * rows
        if rows > 0 {
            page = page.replacingOccurrences(of: "viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\"",
                                             with: "viewBox=\"0 0 \(Int(Self.width)) \(height)\"")
                .replacingOccurrences(of: "height=\"\(Int(Self.height))\" role=", with: "height=\"\(height)\" role=")
            var legend = ""
            for (k, s) in series.enumerated() {
                let y = Self.height + 16 * Double(k) + 4
                let colour = Self.colours[k % Self.colours.count]
                legend += Self.marker(k, x: Self.margin.left, y: y, colour: colour)
                    + "<text x=\"\(HTMLText.coordinate(Self.margin.left + 10))\" y=\"\(HTMLText.coordinate(y + 4))\" "
                    + "class=\"legendtext\">\(HTMLText.escape(s.label))</text>"
            }
            page = String(page.dropLast("</svg>".count)) + legend + "</svg>"
        }
        guard let close = page.firstIndex(of: ">") else { return page }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + page[...close] + "<style>" + ReportStyle.css
            + "svg .legendtext{font-size:10px}</style>" + page[page.index(after: close)...] + "\n"
    }

    /// The numbers behind the chart: one row per point, with its interval and how it was computed.
    func csv() -> String {
        var out = "series,\(SweepResults.csvField(xLabel)),n,mean,ci95_low,ci95_high,ci_method\n"
        for s in series {
            for p in s.points.sorted(by: { $0.x < $1.x }) {
                let x: String
                if let categories, let i = Int(exactly: p.x), categories.indices.contains(i) {
                    x = categories[i]
                } else {
                    x = SweepResults.format(p.x)
                }
                let row = [s.label, x, "\(p.n)", SweepResults.format(p.mean), SweepResults.format(p.low),
                           SweepResults.format(p.high), intervalMethod]
                out += row.map(SweepResults.csvField).joined(separator: ",") + "\n"
            }
        }
        return out
    }
}
