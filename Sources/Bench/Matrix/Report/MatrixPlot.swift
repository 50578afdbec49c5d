import Foundation

/// An SVG of the grid: one panel per size (median time by worker count for each mode, the lower
/// bound dashed) and one panel of speedups at the largest size beside the 2011 speedups.
enum MatrixPlot {
    static let colors: [MatrixMode: String] = [
        .standard: "#1f77b4", .secure: "#d62728", .secureSSH: "#2ca02c", .virtual: "#9467bd", .virtualSecure: "#8c564b",
    ]
    static let paperColors: [PaperFigures.Row: String] = [.standard: "#7f7f7f", .virtualSecure: "#bcbd22"]

    static let panelWidth = 270.0
    static let panelHeight = 260.0
    static let margin = (left: 52.0, right: 14.0, top: 84.0, bottom: 64.0)

    static func svg(_ result: MatrixBenchmarkResult) -> String {
        let sizes = Array(Set(result.cells.map(\.size))).sorted()
        let workers = Array(Set(result.cells.map(\.workers))).sorted()
        let modes = MatrixMode.allCases.filter { mode in result.cells.contains { $0.mode == mode } }
        let panels = sizes.count + 1
        let width = margin.left + Double(panels) * (panelWidth + margin.left + margin.right)
        let height = margin.top + panelHeight + margin.bottom
        var body: [String] = []
        body.append(#"<rect width="100%" height="100%" fill="white"/>"#)
        body.append(text(x: 12, y: 20, String(format: "visag bench matrix: %@, kernel %@, dgemm %.1f GFLOP/s (1 thread)",
                                                 result.blas.isOpenBLAS ? "OpenBLAS" : "BLAS", result.workerKernels.joined(separator: ","),
                                                 result.headlineGFLOPS), size: 14, weight: "bold"))
        if let provenance = result.provenance {
            let machine = provenance.machine.map { ", \($0.cpu), \($0.cores) cores" } ?? ""
            body.append(text(x: 12, y: height - 8, "visag \(provenance.version) (git \(provenance.revision)), \(provenance.date)\(machine)", size: 10))
        }
        var legendX = 12.0
        for mode in modes {
            body.append(line(legendX, 40, legendX + 18, 40, color: colors[mode]!, dashed: false))
            body.append(text(x: legendX + 22, y: 44, mode.rawValue))
            legendX += 30 + Double(mode.rawValue.count) * 7
        }
        body.append(line(legendX, 40, legendX + 18, 40, color: "#444", dashed: true))
        body.append(text(x: legendX + 22, y: 44, "lower bound"))
        legendX += 110
        for row in [PaperFigures.Row.standard, .virtualSecure] {
            body.append(line(legendX, 40, legendX + 18, 40, color: paperColors[row]!, dashed: true))
            body.append(text(x: legendX + 22, y: 44, "2011 \(row.rawValue) (speedup)"))
            legendX += 200
        }

        for (panelIndex, size) in sizes.enumerated() {
            let cells = result.cells.filter { $0.size == size }
            let top = niceCeiling((cells.map { max($0.medianSeconds, $0.lowerBoundSeconds) }.max() ?? 1) * 1e3)
            let frame = Panel(originX: margin.left + Double(panelIndex) * (panelWidth + margin.left + margin.right),
                              originY: margin.top, workers: workers, top: top)
            body += frame.axes(title: "n = \(size): median ms", yFormat: "%g")
            for mode in modes {
                let series = cells.filter { $0.mode == mode }.sorted { $0.workers < $1.workers }
                body += frame.series(series.map { ($0.workers, $0.medianSeconds * 1e3) }, color: colors[mode]!, dashed: false)
                body += frame.series(series.map { ($0.workers, $0.lowerBoundSeconds * 1e3) }, color: colors[mode]!, dashed: true, markers: false)
            }
        }

        let largest = sizes.last ?? 0
        let speedupCells = result.cells.filter { $0.size == largest && $0.speedup != nil }
        var paperSpeedups: [(PaperFigures.Row, [(Int, Double)])] = []
        for row in [PaperFigures.Row.standard, .virtualSecure] {
            guard let base = PaperFigures.seconds(row: row, size: largest, workers: 1) else { continue }
            let points = workers.compactMap { w in PaperFigures.seconds(row: row, size: largest, workers: w).map { (w, base / $0) } }
            paperSpeedups.append((row, points))
        }
        let top = niceCeiling(max(speedupCells.compactMap(\.speedup).max() ?? 1, paperSpeedups.flatMap { $0.1.map(\.1) }.max() ?? 1, 1))
        let frame = Panel(originX: margin.left + Double(sizes.count) * (panelWidth + margin.left + margin.right),
                          originY: margin.top, workers: workers, top: top)
        body += frame.axes(title: "n = \(largest): speedup over 1 worker", yFormat: "%g")
        for mode in modes {
            let series = speedupCells.filter { $0.mode == mode }.sorted { $0.workers < $1.workers }
            body += frame.series(series.map { ($0.workers, $0.speedup!) }, color: colors[mode]!, dashed: false)
        }
        for (row, points) in paperSpeedups {
            body += frame.series(points, color: paperColors[row]!, dashed: true)
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(Int(width))" height="\(Int(height))" viewBox="0 0 \(Int(width)) \(Int(height))" font-family="sans-serif">
            \(body.joined(separator: "\n"))
            </svg>

            """
    }

    /// The smallest 1, 2, 2.5 or 5 × 10^k at or above `value`: axis ticks at quarters of it stay round.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0, value.isFinite else { return 1 }
        let scale = pow(10, (log10(value)).rounded(.down))
        for step in [1.0, 2, 2.5, 5, 10] where step * scale >= value { return step * scale }
        return 10 * scale
    }

    /// One panel: worker counts evenly spaced on x, 0…top on y.
    struct Panel {
        let originX: Double
        let originY: Double
        let workers: [Int]
        let top: Double

        func x(_ w: Int) -> Double {
            let index = Double(workers.firstIndex(of: w) ?? 0)
            let step = workers.count > 1 ? panelWidth / Double(workers.count - 1) : 0
            return originX + (workers.count > 1 ? index * step : panelWidth / 2)
        }

        func y(_ value: Double) -> Double { originY + panelHeight - (top > 0 ? value / top : 0) * panelHeight }

        func axes(title: String, yFormat: String) -> [String] {
            var parts: [String] = []
            parts.append(MatrixPlot.text(x: originX, y: originY - 8, title, weight: "bold"))
            parts.append(MatrixPlot.line(originX, originY, originX, originY + panelHeight, color: "#000", dashed: false))
            parts.append(MatrixPlot.line(originX, originY + panelHeight, originX + panelWidth, originY + panelHeight, color: "#000", dashed: false))
            for tick in 0...4 {
                let value = top * Double(tick) / 4
                let ty = y(value)
                parts.append(MatrixPlot.line(originX - 4, ty, originX + panelWidth, ty, color: "#ddd", dashed: false))
                parts.append(MatrixPlot.text(x: originX - 6, y: ty + 4, String(format: yFormat, value), anchor: "end"))
            }
            for w in workers {
                parts.append(MatrixPlot.text(x: x(w), y: originY + panelHeight + 16, String(w), anchor: "middle"))
            }
            parts.append(MatrixPlot.text(x: originX + panelWidth / 2, y: originY + panelHeight + 34, "workers", anchor: "middle"))
            return parts
        }

        func series(_ points: [(Int, Double)], color: String, dashed: Bool, markers: Bool = true) -> [String] {
            guard !points.isEmpty else { return [] }
            let coordinates = points.map { String(format: "%.1f,%.1f", x($0.0), y($0.1)) }.joined(separator: " ")
            var parts = ["<polyline fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"\(dashed ? " stroke-dasharray=\"5,4\"" : "") points=\"\(coordinates)\"/>"]
            if markers {
                parts += points.map { String(format: "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" fill=\"%@\"/>", x($0.0), y($0.1), color) }
            }
            return parts
        }
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, color: String, dashed: Bool) -> String {
        String(format: "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%@\" stroke-width=\"%@\"%@/>",
               x1, y1, x2, y2, color, dashed ? "2" : "1", dashed ? " stroke-dasharray=\"5,4\"" : "")
    }

    static func text(x: Double, y: Double, _ content: String, size: Int = 12, weight: String = "normal", anchor: String = "start") -> String {
        let escaped = content.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;")
        return String(format: "<text x=\"%.1f\" y=\"%.1f\" font-size=\"%d\" font-weight=\"%@\" text-anchor=\"%@\">%@</text>",
                      x, y, size, weight, anchor, escaped)
    }
}
