/// What `visag replay --json` prints: the run's summary, every violation in time order and, with `--around`, the
/// events in the window.
public struct ReplayReport: Codable, Sendable {
    public struct Window: Codable, Sendable {
        public var centerSeconds: Double
        public var halfWidthSeconds: Double
        /// The events in words, as the text output prints them.
        public var events: [String]
        /// Events in the window beyond those listed.
        public var notShown: Int

        public init(centerSeconds: Double, halfWidthSeconds: Double, events: [String], notShown: Int) {
            self.centerSeconds = centerSeconds
            self.halfWidthSeconds = halfWidthSeconds
            self.events = events
            self.notShown = notShown
        }
    }

    public var summary: RunSummary
    public var violations: [InvariantViolation]
    public var window: Window?
    /// What made this report (version, command line, scenario, seed).
    public var provenance: Provenance?

    public init(summary: RunSummary, violations: [InvariantViolation], window: Window?, provenance: Provenance?) {
        self.summary = summary
        self.violations = violations
        self.window = window
        self.provenance = provenance
    }
}
