import Foundation

/// `report.html`: one self-contained page (inline CSS and SVG, no script, no external
/// resource, and a Content-Security-Policy that forbids both) with the policy comparison
/// table, every varying metric against every axis with 95 % intervals, and the VM state
/// timeline of one run. Its content depends only on the folder's files.
public enum SweepReport {
    public static let fileName = "report.html"
    /// More lines than this in one chart are unreadable: the rest are listed as left out.
    static let maxSeries = 8
    static let maxTableMetrics = 7

    /// Builds `directory/report.html` from `sweep.json`, `runs/` and, if present, `timeline.json`.
    public static func write(directory: String) throws {
        let data = try SweepReportData.load(directory: directory)
        let timeline = try TimelineRun.read(from: directory)
        try OutputFile.write(html(data, timeline: timeline),
                                       to: (directory as NSString).appendingPathComponent(fileName))
        for figure in figures(data) {
            let base = (directory as NSString).appendingPathComponent("figures/" + figure.name)
            let options = OutputFile.Options(createFolders: true)
            try OutputFile.write(figure.chart.standaloneSVG(), to: base + ".svg", options: options)
            try OutputFile.write(figure.chart.csv(), to: base + ".csv", options: options)
        }
    }

    /// Every chart of the report, each named `<metric>-vs-<axis>` for its own SVG and CSV file.
    static func figures(_ data: SweepReportData) -> [(name: String, chart: SVGLineChart)] {
        let plotted = data.metrics.indices.filter { data.varies($0) }
        var result: [(String, SVGLineChart)] = []
        for (a, axis) in data.axes.enumerated() {
            let series = Array(seriesKeys(data, axis: a).prefix(maxSeries))
            for metric in plotted {
                result.append((figureName(data, metric: metric, axis: axis),
                               chart(data, metric: metric, axis: a, series: series)))
            }
        }
        return result
    }

    static func figureName(_ data: SweepReportData, metric: Int, axis: SweepFile.Axis) -> String {
        let safe = axis.path.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "_" ? $0 : "_" }
        return data.metrics[metric].name + "-vs-" + String(safe)
    }

    static func html(_ data: SweepReportData, timeline: VMTimeline?) -> String {
        var page = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(HTMLText.escape("Sweep report: " + data.scenario))</title>
        <style>\(ReportStyle.css)</style></head><body>

        """
        page += header(data)
        page += table(data)
        page += charts(data)
        page += timelineSection(timeline, data: data)
        page += glossary(data)
        page += methods(data)
        return page + "</body></html>\n"
    }

    // MARK: Sections

    static func header(_ data: SweepReportData) -> String {
        var out = "<header><h1>Sweep report: \(HTMLText.escape(data.scenario))</h1><p class=\"meta\">"
        out += "base scenario <code>\(HTMLText.escape(data.base))</code>"
        if !data.set.isEmpty {
            out += " with " + data.set.map { "<code>\(HTMLText.escape($0))</code>" }.joined(separator: ", ")
        }
        out += "; \(data.cells.count) cells × seeds " + (data.seeds.range.map { "\($0.lowerBound)–\($0.upperBound)" } ?? "\(data.seeds)") + " = \(data.runs) runs"
        if data.missingRuns > 0 { out += " (<strong>\(data.missingRuns) runs missing</strong>: resume or merge the other shards)" }
        out += "; \(data.runsWithViolations) runs with invariant violations.</p><ul class=\"axes\">"
        for axis in data.axes {
            out += "<li><code>\(HTMLText.escape(axis.path))</code>: "
                + axis.values.map { HTMLText.escape($0) }.joined(separator: ", ") + "</li>"
        }
        return out + "</ul></header>\n"
    }

    /// Metric indices for the table: the key ones that differ between cells.
    static func tableMetrics(_ data: SweepReportData) -> [Int] {
        let indices = MetricInfo.keyMetrics.compactMap { name in data.metrics.firstIndex { $0.name == name } }
        let varying = indices.filter { data.varies($0) }
        return Array((varying.isEmpty ? indices : varying).prefix(maxTableMetrics))
    }

    static func table(_ data: SweepReportData) -> String {
        let columns = tableMetrics(data)
        var best: [Int: Int] = [:]
        for metric in columns {
            best[metric] = bestCell(data, metric: metric)
        }
        var out = "<section><h2>Policy comparison</h2><p class=\"note\">Mean ± half-width of the 95 % confidence interval "
            + "over the seeds of each cell; a column's best mean (lowest, or highest for completions and utilisation) is "
            + "highlighted only when its interval overlaps no other cell's. A cell with no sample of a metric shows – "
            + "and is left out of its means. Every metric is in <code>summary.csv</code>.</p><div class=\"scroll\"><table><thead><tr><th>cell</th>"
        for axis in data.axes { out += "<th>\(HTMLText.escape(shortName(axis.path)))</th>" }
        out += "<th>n</th>"
        for metric in columns {
            let info = data.metrics[metric]
            out += "<th>\(HTMLText.escape(info.label))<br><span class=\"unit\">\(HTMLText.escape(info.unit))</span></th>"
        }
        out += "</tr></thead><tbody>"
        for cell in data.cells {
            out += "<tr><td class=\"num\">\(cell.index)</td>"
            for value in cell.values { out += "<td>\(HTMLText.escape(value))</td>" }
            out += "<td class=\"num\">\(cell.n)</td>"
            for metric in columns {
                let s = cell.statistics[metric]
                let isBest = best[metric] == cell.index
                out += "<td class=\"num\(isBest ? " best" : "")\">\(HTMLText.meanWithInterval(s.mean, s.halfWidth))</td>"
            }
            out += "</tr>"
        }
        return out + "</tbody></table></div></section>\n"
    }

    /// The cell whose mean is best and whose 95 % interval lies wholly on the better side of every other cell's;
    /// nil when the intervals overlap (no cell is distinguishably best) or the metric has no better direction.
    static func bestCell(_ data: SweepReportData, metric: Int) -> Int? {
        let sign: Double
        switch data.metrics[metric].better {
        case .lower: sign = 1
        case .higher: sign = -1
        case .neither: return nil
        }
        let cells = data.cells.filter { $0.statistics[metric].mean.isFinite }
        guard cells.count > 1, let top = cells.min(by: { sign * $0.statistics[metric].mean < sign * $1.statistics[metric].mean })
        else { return nil }
        func width(_ s: SweepResults.Statistics) -> Double { s.halfWidth.isFinite ? s.halfWidth : 0 }
        let t = top.statistics[metric]
        for cell in cells where cell.index != top.index {
            let s = cell.statistics[metric]
            // Lower is better: the best's upper end must stay below the other's lower end (mirrored for higher).
            if sign * t.mean + width(t) >= sign * s.mean - width(s) { return nil }
        }
        return top.index
    }

    static func charts(_ data: SweepReportData) -> String {
        let plotted = data.metrics.indices.filter { data.varies($0) }
        let constant = data.metrics.indices.filter { !data.varies($0) }
        var out = "<section><h2>Metrics against each axis</h2><p class=\"note\">Points are means over seeds; bars are 95 % "
            + "confidence intervals (Student's t, n − 1 degrees of freedom), cut at 0 since no metric can be negative. "
            + "Each line holds the other axes fixed; the values of a categorical axis (a policy) are grouped points, "
            + "never joined. A chart whose y axis does not start at 0 says so.</p>"
        for (a, axis) in data.axes.enumerated() {
            let series = seriesKeys(data, axis: a)
            out += "<h3>Against <code>\(HTMLText.escape(axis.path))</code></h3>"
            if series.count > 1 {
                out += "<p class=\"legend\">"
                for (k, key) in series.prefix(maxSeries).enumerated() {
                    let colour = SVGLineChart.colours[k % SVGLineChart.colours.count]
                    out += "<span class=\"key\"><svg width=\"22\" height=\"10\"><line x1=\"0\" x2=\"22\" y1=\"5\" y2=\"5\" "
                        + "stroke=\"\(colour)\" stroke-width=\"1.6\"/>" + SVGLineChart.marker(k, x: 11, y: 5, colour: colour)
                        + "</svg> \(HTMLText.escape(seriesLabel(data, axis: a, key: key)))</span> "
                }
                if series.count > maxSeries {
                    out += "<span class=\"note\">(\(series.count - maxSeries) more combinations not drawn)</span>"
                }
                out += "</p>"
            }
            out += "<div class=\"charts\">"
            for metric in plotted {
                let name = HTMLText.escape(figureName(data, metric: metric, axis: axis))
                out += "<figure>" + chart(data, metric: metric, axis: a, series: Array(series.prefix(maxSeries))).svg()
                    + "<figcaption><a href=\"figures/\(name).svg\">SVG</a> · <a href=\"figures/\(name).csv\">CSV</a>"
                    + "</figcaption></figure>"
            }
            out += "</div>"
        }
        if !constant.isEmpty {
            out += "<p class=\"note\">The same in every cell (not plotted): "
                + constant.map { m in
                    let mean = data.cells.first?.statistics[m].mean ?? .nan
                    return "\(HTMLText.escape(data.metrics[m].label)) = \(HTMLText.number(mean))"
                }.joined(separator: "; ") + ".</p>"
        }
        return out + "</section>\n"
    }

    /// The other axes' value combinations, in the order cells first show them.
    static func seriesKeys(_ data: SweepReportData, axis: Int) -> [[String]] {
        var keys: [[String]] = []
        for cell in data.cells {
            var key = cell.values
            key.remove(at: axis)
            if !keys.contains(key) { keys.append(key) }
        }
        return keys
    }

    static func seriesLabel(_ data: SweepReportData, axis: Int, key: [String]) -> String {
        let others = data.axes.indices.filter { $0 != axis }
        return zip(others, key).map { "\(shortName(data.axes[$0].path)) = \($1)" }.joined(separator: ", ")
    }

    static func chart(_ data: SweepReportData, metric: Int, axis: Int, series keys: [[String]]) -> SVGLineChart {
        let values = data.axes[axis].values
        let numbers = values.compactMap(Double.init)
        let numeric = numbers.count == values.count && values.count > 1
        let series = keys.map { key -> SVGLineChart.Series in
            let points = data.cells.compactMap { cell -> SVGLineChart.Point? in
                var rest = cell.values
                let value = rest.remove(at: axis)
                let s = cell.statistics[metric]
                // A cell with no sample of the metric has no point (never a point at 0).
                guard rest == key, let position = values.firstIndex(of: value), s.mean.isFinite else { return nil }
                return .init(x: numeric ? numbers[position] : Double(position), mean: s.mean, halfWidth: s.halfWidth, n: s.n)
            }
            return .init(label: seriesLabel(data, axis: axis, key: key), points: points)
        }
        let info = data.metrics[metric]
        return SVGLineChart(title: info.label, yLabel: yLabel(info), xLabel: data.axes[axis].path,
                            categories: numeric ? nil : values, series: series)
    }

    /// The y axis names the quantity and its unit: `time (s)`, `VM time (VM·h)`; units that name their quantity
    /// (`applications`, `per application`) stand alone.
    static func yLabel(_ info: MetricInfo) -> String {
        switch info.unit {
        case "s": "time (s)"
        case "VM·h": "VM time (VM·h)"
        case "": info.label
        default: info.unit
        }
    }

    static func timelineSection(_ timeline: VMTimeline?, data: SweepReportData) -> String {
        var out = "<section><h2>VM states over one run</h2>"
        guard let timeline else {
            return out + "<p class=\"note\">No timeline in this folder (<code>timeline.json</code>): "
                + "<code>visag report DIR --sweep FILE</code> reruns one run to draw it.</p></section>\n"
        }
        let cellText = zip(data.axes, timeline.values).map { "\(shortName($0.path)) = \($1)" }.joined(separator: ", ")
        out += "<p class=\"note\">Cell \(timeline.cell) (\(HTMLText.escape(cellText))), seed \(timeline.seed), rerun with the "
            + "trace recorder and replayed through the control plane. Showing \(timeline.rows.count) of \(timeline.vmCount) VMs "
            + "(the busiest in the window, by time not free, off or suspended) over "
            + (timeline.windowEndSeconds >= timeline.runEndSeconds ? "the whole run (\(hours(timeline.runEndSeconds)))."
                : "the first \(hours(timeline.windowEndSeconds)) of \(hours(timeline.runEndSeconds)).")
        if timeline.truncated { out += " <strong>The replay hit its event bound: the window ends early.</strong>" }
        out += " Choose the run with <code>--timeline-cell</code>, <code>--timeline-seed</code> (and <code>--timeline-vms</code>, "
            + "<code>--timeline-window</code>) or a <code>timeline:</code> mapping in the sweep file.</p>"
        guard !timeline.rows.isEmpty else {
            return out + "<p class=\"note\">This run has no worker VMs (its mode runs objects on the nodes).</p></section>\n"
        }
        out += "<p class=\"legend\">\(SVGTimeline.legend())</p>"
        out += "<figure>" + SVGTimeline(timeline: timeline, fromSeconds: 0, toSeconds: timeline.windowEndSeconds).svg() + "</figure>"
        let detail = 3600.0
        if timeline.windowEndSeconds > 2 * detail {
            out += "<h3>The first hour, in detail</h3><figure>"
                + SVGTimeline(timeline: timeline, fromSeconds: 0, toSeconds: detail).svg() + "</figure>"
        }
        return out + gridChart(timeline) + "</section>\n"
    }

    /// The same run's grid totals (`RunSeries`) as step lines: the state after every event at each instant.
    static func gridChart(_ timeline: VMTimeline) -> String {
        guard let grid = timeline.grid, grid.count > 1 else { return "" }
        let unit = SVGTimeline.timeUnit(for: Double(grid.count - 1) * grid.intervalSeconds)
        func line(_ label: String, _ values: [Int]) -> SVGLineChart.Series {
            SVGLineChart.Series(label: label, points: values.enumerated().map {
                SVGLineChart.Point(x: Double($0.offset) * grid.intervalSeconds / unit.seconds, mean: Double($0.element),
                                   halfWidth: 0, n: 1)
            })
        }
        var lines = [line("free workers", grid.freeWorkers), line("reserved workers", grid.reservedWorkers),
                     line("running objects", grid.objectsRunning)]
        if let leases = grid.leases { lines.append(line("leases in use", leases)) }
        var out = "<h3>Grid totals</h3><p class=\"note\">The same run sampled every "
            + "\(SweepResults.format(grid.intervalSeconds)) s (as <code>visag run --sample-every</code> writes "
            + "<code>node-series.csv</code>): the state after every event at each instant.</p><p class=\"legend\">"
        for (k, series) in lines.enumerated() {
            let colour = SVGLineChart.colours[k % SVGLineChart.colours.count]
            out += "<span class=\"key\"><svg width=\"22\" height=\"10\"><line x1=\"0\" x2=\"22\" y1=\"5\" y2=\"5\" "
                + "stroke=\"\(colour)\" stroke-width=\"1.6\"/></svg> \(HTMLText.escape(series.label))</span> "
        }
        var chart = SVGLineChart(title: "Grid totals", yLabel: "count", xLabel: "time (\(unit.name))", categories: nil,
                                 series: lines)
        chart.steps = true
        return out + "</p><figure>" + chart.svg() + "</figure>"
    }

    /// Every metric with its name in the CSV files, its unit and what it measures.
    static func glossary(_ data: SweepReportData) -> String {
        var out = "<section><h2>Glossary of metrics</h2><p class=\"note\">Per run; a cell's value is the mean over "
            + "its seeds of the runs that measured it. Names are the columns of results.csv and summary.csv.</p>"
            + "<div class=\"scroll\"><table><thead><tr><th>metric</th><th>name</th><th>unit</th><th>meaning</th>"
            + "<th>better</th></tr></thead><tbody>"
        for info in data.metrics {
            let better = switch info.better { case .lower: "lower"; case .higher: "higher"; case .neither: "–" }
            out += "<tr><td>\(HTMLText.escape(info.label))</td><td><code>\(HTMLText.escape(info.name))</code></td>"
                + "<td>\(HTMLText.escape(info.unit))</td><td>\(HTMLText.escape(info.meaning))</td><td>\(better)</td></tr>"
        }
        return out + "</tbody></table></div></section>\n"
    }

    static func methods(_ data: SweepReportData) -> String {
        "<footer><p class=\"note\">Generated by <code>visag</code> from <code>sweep.json</code> and the run records in "
            + "<code>runs/</code> (the same numbers as <a href=\"summary.csv\">summary.csv</a> and "
            + "<a href=\"results.csv\">results.csv</a>). Times are simulated seconds.</p></footer>\n"
    }

    static func hours(_ seconds: Double) -> String {
        seconds >= 3600 ? String(format: "%.1f h", seconds / 3600) : String(format: "%.0f min", seconds / 60)
    }

    /// `policies.recycle` → `recycle`: the table and legends have little room.
    static func shortName(_ path: String) -> String {
        String(path.split(separator: ".").last ?? Substring(path))
    }
}
