import CGSL
import Foundation

/// `results.csv` (one row per run) and `summary.csv` (per cell and metric: n, mean, standard
/// deviation, the 95 % confidence interval of the mean by the metric's `IntervalMethod`) from the run records of a
/// folder.
public enum SweepResults {
    struct Metric: Sendable {
        var name: String
        /// How its interval is computed: the one table summary.csv, the report's tables, its "best" and its charts
        /// all read.
        var interval: IntervalMethod
        var value: @Sendable (RunSummary) -> Double
        /// A time something waited or took: summary.csv adds its p50, p95 and p99 over the cell's runs.
        var isLatency: Bool { name.hasSuffix("_s") && name != "makespan_s" }
    }

    // Counts of occurrences are Poisson; `applications_completed` and `clones_finished` count what the workload
    // asked for (bounded by it, not rare events), so they are amounts like the times.
    static let metrics: [Metric] = [
        Metric(name: "applications_completed", interval: .bootstrap) { Double($0.applicationsCompleted) },
        Metric(name: "applications_failed", interval: .poisson) { Double($0.applicationsFailed) },
        Metric(name: "creation_ready_p50_s", interval: .bootstrap) { sampled($0.creationLatencyReadySeconds).p50 },
        Metric(name: "creation_ready_p95_s", interval: .bootstrap) { sampled($0.creationLatencyReadySeconds).p95 },
        Metric(name: "creation_prepared_mean_s", interval: .bootstrap) { sampled($0.creationLatencyPreparedSeconds).mean },
        Metric(name: "creation_prepared_p50_s", interval: .bootstrap) { sampled($0.creationLatencyPreparedSeconds).p50 },
        Metric(name: "creation_prepared_p95_s", interval: .bootstrap) { sampled($0.creationLatencyPreparedSeconds).p95 },
        Metric(name: "creation_prepared_p99_s", interval: .bootstrap) { sampled($0.creationLatencyPreparedSeconds).p99 },
        Metric(name: "prepare_revert_mean_s", interval: .bootstrap) { sampled($0.prepareRevertSeconds).mean },
        Metric(name: "prepare_resume_mean_s", interval: .bootstrap) { sampled($0.prepareResumeSeconds).mean },
        Metric(name: "prepare_boot_mean_s", interval: .bootstrap) { sampled($0.prepareBootSeconds).mean },
        Metric(name: "prepare_address_mean_s", interval: .bootstrap) { sampled($0.prepareAddressSeconds).mean },
        Metric(name: "prepare_key_write_mean_s", interval: .bootstrap) { sampled($0.prepareKeyWriteSeconds).mean },
        Metric(name: "queue_wait_mean_s", interval: .bootstrap) { sampled($0.queueWaitSeconds).mean },
        Metric(name: "queue_wait_p95_s", interval: .bootstrap) { sampled($0.queueWaitSeconds).p95 },
        Metric(name: "core_wait_mean_s", interval: .bootstrap) { sampled($0.coreWaitSeconds).mean },
        Metric(name: "mean_response_s", interval: .bootstrap) {
            $0.applicationsCompleted > 0 ? $0.meanResponseSeconds : .nan
        },
        Metric(name: "clones_finished", interval: .bootstrap) { Double($0.clonesFinished) },
        Metric(name: "clones_failed", interval: .poisson) { Double($0.clonesFailed) },
        Metric(name: "vm_utilisation", interval: .bootstrap) { $0.vmUtilisation },
        Metric(name: "vm_hours", interval: .bootstrap) { $0.vmHours },
        Metric(name: "discovery_messages_per_app", interval: .bootstrap) { $0.discoveryMessagesPerApplication },
        Metric(name: "key_writes_per_app", interval: .bootstrap) { $0.keyWritesPerApplication },
        Metric(name: "messages", interval: .poisson) { Double($0.messages) },
        Metric(name: "misdirected_launches", interval: .poisson) { Double($0.misdirectedLaunches) },
        Metric(name: "worker_keys_at_mains", interval: .poisson) { Double($0.workerKeysAcceptedByMain) },
        Metric(name: "memory_refusals", interval: .poisson) { Double($0.memoryRefusals) },
        Metric(name: "makespan_s", interval: .bootstrap) { $0.makespanSeconds },
        Metric(name: "events", interval: .poisson) { Double($0.events) },
        Metric(name: "invariant_violations", interval: .poisson) { Double($0.invariantViolations.values.reduce(0, +)) },
        Metric(name: "violated", interval: .wilson) { $0.invariantViolations.isEmpty ? 0 : 1 },
    ]

    /// A run's latency, with every statistic missing (NaN: an empty CSV field, left out of means and intervals)
    /// when it measured nothing: a run that booted no VM has no boot time, not a boot time of 0 s.
    static func sampled(_ latency: RunSummary.Latency) -> RunSummary.Latency {
        guard latency.count == 0 else { return latency }
        var missing = latency
        (missing.mean, missing.p50, missing.p95, missing.p99, missing.max) = (.nan, .nan, .nan, .nan, .nan)
        return missing
    }

    /// Reads every record of `directory/runs` (sorted by cell, then seed).
    public static func records(in directory: String) throws -> [SweepRunner.RunRecord] {
        let runs = (directory as NSString).appendingPathComponent("runs")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runs)) ?? []
        var result: [SweepRunner.RunRecord] = []
        for name in names where name.hasSuffix(".json") {
            let path = (runs as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path),
                  let record = try? JSONDecoder().decode(SweepRunner.RunRecord.self, from: data) else {
                throw SweepRunner.Failure.io("\(path): error: not a run record of this visag version (remove it and resume)")
            }
            result.append(record)
        }
        return result.sorted { ($0.cell, $0.seed) < ($1.cell, $1.seed) }
    }

    public static func write(sweep: SweepFile, directory: String) throws {
        try write(axisNames: sweep.axes.map(\.path), directory: directory)
    }

    /// Rewrites `results.csv` and `summary.csv` of a folder from its run records, with this build's metrics and
    /// intervals, so they agree with a report drawn now.
    public static func rewrite(directory: String) throws {
        try write(axisNames: SweepRunner.Manifest.read(directory: directory).axisOrder, directory: directory)
    }

    static func write(axisNames: [String], directory: String) throws {
        let all = try records(in: directory)
        var results = (["cell"] + axisNames + ["seed", "digest"] + metrics.map(\.name)).map(csvField).joined(separator: ",") + "\n"
        for record in all {
            let row = ["\(record.cell)"] + record.values + ["\(record.seed)", record.summary.digest]
                + metrics.map { format($0.value(record.summary)) }
            results += row.map(csvField).joined(separator: ",") + "\n"
        }
        try OutputFile.write(results, to: (directory as NSString).appendingPathComponent("results.csv"))

        var summary = (["cell"] + axisNames + ["metric", "n", "mean", "sd", "ci95_low", "ci95_high", "p50", "p95", "p99", "ci_method"])
            .map(csvField)
            .joined(separator: ",") + "\n"
        for cell in cells(all) {
            for (k, metric) in metrics.enumerated() {
                let s = cell.statistics[k]
                let q = metric.isLatency ? Quantiles(cell.samples[k]) : nil
                let row = ["\(cell.index)"] + cell.values + [metric.name, "\(s.n)", format(s.mean), format(s.sd),
                                                          format(s.interval.low), format(s.interval.high)]
                    + [q?.p50, q?.p95, q?.p99].map { $0.map(format) ?? "" } + [metric.interval.rawValue]
                summary += row.map(csvField).joined(separator: ",") + "\n"
            }
        }
        try OutputFile.write(summary, to: (directory as NSString).appendingPathComponent("summary.csv"))
    }

    /// One cell's runs, and per metric (in `metrics` order) their values and statistics: what `summary.csv` and
    /// the report both show.
    public struct CellStatistics {
        public var index: Int
        /// One value per axis, in axis order.
        public var values: [String]
        /// Runs in the cell.
        public var n: Int
        public var samples: [[Double]]
        public var statistics: [Statistics]

        init(index: Int, values: [String], n: Int, samples: [[Double]] = [], statistics: [Statistics]) {
            (self.index, self.values, self.n, self.samples, self.statistics) = (index, values, n, samples, statistics)
        }
    }

    /// The cells of records sorted by cell (as `records(in:)` returns them).
    static func cells(_ all: [SweepRunner.RunRecord]) -> [CellStatistics] {
        var cells: [CellStatistics] = []
        var start = 0
        while start < all.count {
            var end = start
            while end < all.count && all[end].cell == all[start].cell { end += 1 }
            let group = all[start..<end]
            let samples = metrics.map { metric in group.map { metric.value($0.summary) } }
            cells.append(CellStatistics(index: all[start].cell, values: all[start].values, n: group.count, samples: samples,
                                        statistics: Statistics.of(samples, methods: metrics.map(\.interval))))
            start = end
        }
        return cells
    }

    /// Mean, standard deviation and the 95 % confidence interval of the mean of a sample.
    public struct Statistics: Equatable, Sendable {
        public var n: Int
        public var mean: Double
        public var sd: Double
        public var interval: ConfidenceInterval

        /// Over the values that are there: a run with no sample of the metric (NaN) is left out, and `n` counts
        /// the runs that had one.
        public init(_ all: [Double], method: IntervalMethod) {
            let values = all.filter(\.isFinite)
            self.init(finite: values, interval: ConfidenceInterval(values, method: method))
        }

        /// A cell's statistics of every metric (`samples[k]` by `methods[k]`), as each would be alone; the
        /// bootstrap's resamples are drawn once per sample size.
        public static func of(_ samples: [[Double]], methods: [IntervalMethod]) -> [Statistics] {
            let finite = samples.map { $0.filter(\.isFinite) }
            return zip(finite, ConfidenceInterval.intervals(finite, methods: methods)).map {
                Statistics(finite: $0, interval: $1)
            }
        }

        init(finite values: [Double], interval: ConfidenceInterval) {
            n = values.count
            self.interval = interval
            guard n > 0 else {
                (mean, sd) = (.nan, .nan)
                return
            }
            let m = values.withUnsafeBufferPointer { gsl_stats_mean($0.baseAddress, 1, $0.count) }
            mean = m
            sd = n > 1 ? values.withUnsafeBufferPointer { gsl_stats_sd_m($0.baseAddress, 1, $0.count, m) } : 0
        }
    }

    /// p50, p95 and p99 of a sample (GSL's quantiles of the sorted values; runs without a value left out).
    public struct Quantiles: Equatable, Sendable {
        public var p50: Double
        public var p95: Double
        public var p99: Double

        public init?(_ values: [Double]) {
            let sorted = values.filter(\.isFinite).sorted()
            guard !sorted.isEmpty else { return nil }
            func quantile(_ f: Double) -> Double {
                sorted.withUnsafeBufferPointer { gsl_stats_quantile_from_sorted_data($0.baseAddress, 1, $0.count, f) }
            }
            (p50, p95, p99) = (quantile(0.5), quantile(0.95), quantile(0.99))
        }
    }

    static func format(_ value: Double) -> String {
        value.isFinite ? String(format: "%.6g", value) : ""
    }

    static func csvField(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// Combines shard folders into the files a single run would have written.
public enum SweepMerge {
    public static func merge(_ directories: [String], into output: String) throws -> Int {
        var manifest: SweepRunner.Manifest? = nil
        for directory in directories {
            let m = try SweepRunner.Manifest.read(directory: directory)
            if let manifest, manifest != m { throw SweepRunner.Failure.differentSweep(directory) }
            manifest = m
        }
        guard let manifest else { throw SweepRunner.Failure.io("merge needs at least one folder") }
        let runs = (output as NSString).appendingPathComponent("runs")
        try SweepRunner.prepare(directory: output, runsDirectory: runs, manifest: manifest, resume: true)
        var copied = 0
        for directory in directories where (directory as NSString).standardizingPath != (output as NSString).standardizingPath {
            let source = (directory as NSString).appendingPathComponent("runs")
            for name in (try? FileManager.default.contentsOfDirectory(atPath: source)) ?? [] where name.hasSuffix(".json") {
                guard let data = FileManager.default.contents(atPath: (source as NSString).appendingPathComponent(name)) else {
                    continue
                }
                try OutputFile.write(String(decoding: data, as: UTF8.self),
                                               to: (runs as NSString).appendingPathComponent(name))
                copied += 1
            }
        }
        try SweepResults.write(axisNames: manifest.axisOrder, directory: output)
        return copied
    }
}
