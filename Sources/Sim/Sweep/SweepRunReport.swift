/// What `visag sweep --json` prints: the runs of this invocation (`SweepRunner.Outcome`), the sweep's size and the
/// files it wrote.
public struct SweepRunReport: Codable, Sendable {
    public var outcome: SweepRunner.Outcome
    public var cells: Int
    /// The sweep's seeds, as a sweep file or `--seeds` writes them (`1..20`, `2,5,9`).
    public var seeds: String
    /// Runs of the whole sweep, and of this shard (the same without `--shard`).
    public var runs: Int
    public var runsInShard: Int
    public var folder: String
    public var files: [String]
    /// What started this command (a resumed folder's `sweep.json` keeps the block of the command that started it).
    public var provenance: Provenance?

    public init(outcome: SweepRunner.Outcome, sweep: SweepFile, runsInShard: Int, folder: String, files: [String],
                provenance: Provenance?) {
        self.outcome = outcome
        cells = sweep.cells.count
        seeds = sweep.seeds.description
        runs = sweep.runCount
        self.runsInShard = runsInShard
        self.folder = folder
        self.files = files
        self.provenance = provenance
    }
}
