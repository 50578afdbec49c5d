/// What `visag calibrate --json` prints: the table's rows (per operation, the samples' median and p95 and the
/// log-normal fitted to them, wall seconds), where they were measured and the file written.
public struct CalibrationReport: Codable, Sendable {
    public struct Operation: Codable, Sendable {
        /// The scenario field: `hypervisor.revert`, `dhcp.renew`.
        public var field: String
        public var samples: Int
        public var measuredP50Seconds: Double
        public var measuredP95Seconds: Double
        public var fitMedianSeconds: Double
        public var fitSigma: Double
        /// Kolmogorov–Smirnov D of the samples against the fit.
        public var ksStatistic: Double
    }

    public var uri: String
    public var guests: String
    public var cycles: Int
    public var operations: [Operation]
    /// The fields not measured (the including scenario's values stay).
    public var notMeasured: [String]
    public var output: String
    public var provenance: Provenance?

    public init(_ calibration: Calibration, uri: String, guests: String, cycles: Int, output: String,
                provenance: Provenance?) {
        self.uri = uri
        self.guests = guests
        self.cycles = cycles
        operations = calibration.entries.map { entry in
            let summary = Summary(entry.samples)
            return Operation(field: entry.field.path, samples: entry.fit.count, measuredP50Seconds: summary.p50,
                             measuredP95Seconds: summary.p95, fitMedianSeconds: entry.fit.median,
                             fitSigma: entry.fit.sigma, ksStatistic: entry.fit.ksStatistic)
        }
        notMeasured = Calibration.Field.allCases.filter { calibration.fit(of: $0) == nil }.map(\.path)
        self.output = output
        self.provenance = provenance
    }
}
