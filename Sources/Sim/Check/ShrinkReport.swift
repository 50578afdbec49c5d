/// What `visag shrink --json` prints: the shrink as `check --json` reports its own (`CheckReport.Shrunk`), and the
/// file the reduced scenario went to.
public struct ShrinkReport: Codable, Sendable {
    public var shrunk: CheckReport.Shrunk
    public var output: String
    /// What made this report (version, command line, scenario, seed).
    public var provenance: Provenance?

    public init(shrunk: CheckReport.Shrunk, output: String, provenance: Provenance?) {
        self.shrunk = shrunk
        self.output = output
        self.provenance = provenance
    }
}
