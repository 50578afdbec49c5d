import Foundation

/// `report.html`: one self-contained page (inline CSS and SVG, no script, no external
/// resource, and a Content-Security-Policy that forbids both) with the policy comparison
/// table, every varying metric against every axis with 95 % intervals, and the VM state
/// timeline of one run; and each chart alone as SVG, CSV and PDF (`figures/`). Its content
/// depends only on the folder's files.
public enum SweepReport {
    public static let fileName = "report.html"
    /// More lines than this in one chart are unreadable: the rest are listed as left out.
    static let maxSeries = 8
    static let maxTableMetrics = 7

    /// Builds `directory/report.html` from `sweep.json`, `runs/` and, if present, `timeline.json`. Returns why
    /// the figures have no PDF (librsvg or cairo missing), or nil when they have.
    @discardableResult
    public static func write(directory: String) throws -> String? {
        let data = try SweepReportData.load(directory: directory)
        let timeline = try TimelineRun.read(from: directory)
        let noPDF = FigurePDF.unavailable
        try OutputFile.write(html(data, timeline: timeline, withPDF: noPDF == nil),
                                       to: (directory as NSString).appendingPathComponent(fileName))
        for figure in figures(data) {
            let base = (directory as NSString).appendingPathComponent("figures/" + figure.name)
            let options = OutputFile.Options(createFolders: true)
            let svg = figure.chart.standaloneSVG()
            try OutputFile.write(svg, to: base + ".svg", options: options)
            try OutputFile.write(figure.chart.csv(), to: base + ".csv", options: options)
            if noPDF == nil {
                try FigurePDF.write(svg: svg, title: figure.chart.title, to: base + ".pdf", options: options)
            }
        }
        return noPDF.map { "figures: no PDF files (\($0))" }
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

    static func html(_ data: SweepReportData, timeline: VMTimeline?, withPDF: Bool = true) -> String {
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
        page += charts(data, withPDF: withPDF)
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
        var out = "<section><h2>Policy comparison</h2><p class=\"note\">Mean [95 % confidence interval] over the seeds of "
            + "each cell, the interval by the metric's kind (" + intervalSummary + "); a column's best mean (lowest, or "
            + "highest for completions and utilisation) is "
            + "highlighted only when its interval overlaps no other cell's (for a bootstrapped metric, only with two or "
            + "more seeds in every cell). A cell with no sample of a metric shows – "
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
                out += "<td class=\"num\(isBest ? " best" : "")\">"
                    + "\(HTMLText.meanWithInterval(s.mean, low: s.interval.low, high: s.interval.high))</td>"
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
        // One run has no spread to resample: its bootstrap interval is a point, which says nothing about overlap.
        if data.metrics[metric].interval == .bootstrap, cells.contains(where: { $0.statistics[metric].n < 2 }) { return nil }
        guard cells.count > 1, let top = cells.min(by: { sign * $0.statistics[metric].mean < sign * $1.statistics[metric].mean })
        else { return nil }
        // The interval's end on the worse side (the upper one when lower is better) and on the better side.
        func worseEnd(_ s: SweepResults.Statistics) -> Double {
            let end = sign > 0 ? s.interval.high : s.interval.low
            return sign * (end.isFinite ? end : s.mean)
        }
        func betterEnd(_ s: SweepResults.Statistics) -> Double {
            let end = sign > 0 ? s.interval.low : s.interval.high
            return sign * (end.isFinite ? end : s.mean)
        }
        let t = top.statistics[metric]
        for cell in cells where cell.index != top.index {
            // Lower is better: the best's upper end must stay below the other's lower end (mirrored for higher).
            if worseEnd(t) >= betterEnd(cell.statistics[metric]) { return nil }
        }
        return top.index
    }

    static func charts(_ data: SweepReportData, withPDF: Bool = true) -> String {
        let plotted = data.metrics.indices.filter { data.varies($0) }
        let constant = data.metrics.indices.filter { !data.varies($0) }
        var out = "<section><h2>Metrics against each axis</h2><p class=\"note\">Points are means over seeds; bars are 95 % "
            + "confidence intervals by the metric's kind (" + intervalSummary + "), none of which can reach below 0. "
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
                    + "<figcaption><a href=\"figures/\(name).svg\">SVG</a> · "
                    + (withPDF ? "<a href=\"figures/\(name).pdf\">PDF</a> · " : "")
                    + "<a href=\"figures/\(name).csv\">CSV</a></figcaption></figure>"
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
                return .init(x: numeric ? numbers[position] : Double(position), mean: s.mean, low: s.interval.low,
                             high: s.interval.high, n: s.n)
            }
            return .init(label: seriesLabel(data, axis: axis, key: key), points: points)
        }
        let info = data.metrics[metric]
        return SVGLineChart(title: info.label, yLabel: yLabel(info), xLabel: data.axes[axis].path,
                            categories: numeric ? nil : values, series: series, intervalMethod: info.interval.rawValue)
    }

    /// The y axis names the quantity and its unit: `time (s)`, `VM time (VM·h)`, `discovery messages per
    /// application`; a count is per run (`applications per run`); a share names what it is a share of.
    static func yLabel(_ info: MetricInfo) -> String {
        switch info.unit {
        case "s": "time (s)"
        case "VM·h": "VM time (VM·h)"
        case "": info.label
        case let unit where unit.hasPrefix("per "): info.label + " " + unit
        case let unit where unit.hasSuffix("per run") || unit.hasPrefix("fraction") || unit.hasPrefix("share"): unit
        default: info.unit + " per run"
        }
    }

    /// The interval methods in a few words, for the notes above the table and the charts.
    static let intervalSummary = "counts per run: exact Poisson; shares of runs: Wilson; times, VM-hours, "
        + "ratios and the utilisation: percentile bootstrap of the mean; see the end of the page"

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
                                   low: .nan, high: .nan, n: 1)
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
            + "<th>better</th><th>95 % interval</th></tr></thead><tbody>"
        for info in data.metrics {
            let better = switch info.better { case .lower: "lower"; case .higher: "higher"; case .neither: "–" }
            out += "<tr><td>\(HTMLText.escape(info.label))</td><td><code>\(HTMLText.escape(info.name))</code></td>"
                + "<td>\(HTMLText.escape(info.unit))</td><td>\(HTMLText.escape(info.meaning))</td><td>\(better)</td>"
                + "<td>\(intervalName(info.interval))</td></tr>"
        }
        return out + "</tbody></table></div></section>\n"
    }

    static func intervalName(_ method: IntervalMethod) -> String {
        switch method {
        case .poisson: "exact Poisson"
        case .wilson: "Wilson"
        case .bootstrap: "bootstrap"
        }
    }

    static func methods(_ data: SweepReportData) -> String {
        "<footer><h2>Confidence intervals</h2><p class=\"note\">Each metric's 95 % interval for its mean over a cell's "
            + "runs follows what the metric is (<code>ci_method</code> in <code>summary.csv</code>, the last column of the "
            + "glossary), and none reaches below 0 by construction. <strong>Counts per run</strong> (failures, violations, "
            + "messages; <code>poisson-exact</code>): the exact (Garwood) Poisson interval on the total over the n runs, "
            + "from chi-square quantiles, divided by n; a total of 0 gives [0, 3.69 / n]. Where the runs' counts vary "
            + "more than Poisson counts would (variance above the mean), the total is divided by that dispersion first "
            + "and the interval scaled back (quasi-Poisson), so it is never narrower than the runs' spread. "
            + "<strong>Shares of runs</strong> (each run 0 or 1; <code>wilson</code>): the Wilson score interval. "
            + "<strong>Times, VM-hours, per-application ratios, completions and the VM utilisation</strong> "
            + "(<code>bootstrap-percentile</code>): the 2.5 % and 97.5 % quantiles of the means of "
            + "\(ConfidenceInterval.bootstrapResamples) resamples of the runs (MT19937, fixed seed "
            + "\(ConfidenceInterval.bootstrapSeed), so the same runs give the same interval). A resample's mean lies "
            + "between the smallest and the largest run, so the interval stays at or above 0, and within [0, 1] for the "
            + "utilisation, a continuous fraction per run (not a count of successes, so not Wilson). With fewer than "
            + "about 10 seeds a percentile bootstrap is narrower than 95 %.</p>"
            + "<p class=\"note\">Generated by <code>visag</code> from <code>sweep.json</code> and the run records in "
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
