import Foundation
import Model

/// Writes a run's files into its `--out` folder (an `OutputFolder`: written beside, then swapped into
/// place); `summary.json` goes last.
public enum RunOutputs {
    /// The file whose presence marks a folder as an earlier run's output (one `--out` may replace it).
    public static let marker = "summary.json"

    /// Writes the run's files as the folder `directory` (replacing an earlier run's folder whole).
    public static func write(_ simulation: Simulation, summary: RunSummary, to directory: String) throws(OutputError) {
        let folder = try OutputFolder(path: directory, marker: marker)
        try write(simulation, summary: summary, to: folder)
        try folder.commit()
    }

    public static func write(_ simulation: Simulation, summary: RunSummary, to folder: OutputFolder) throws(OutputError) {
        try write(RunTables(simulation), summary: summary, to: folder)
    }

    /// Either backend's tables (the real backend builds its own from what it observed).
    public static func write(_ tables: RunTables, summary: RunSummary, to folder: OutputFolder) throws(OutputError) {
        try folder.write(tables.applications, named: "applications.csv")
        try folder.write(tables.vms, named: "vms.csv")
        try folder.write(tables.nodes, named: "nodes.csv")
        try folder.write(summary.json() + "\n", named: marker)
    }
}

/// A JSON Lines trace file (`--trace`), written through an `OutputFile`: renamed into place on `close()`, or
/// written through when it names a FIFO or device.
public final class JSONLinesFile: TraceSink {
    private let file: OutputFile

    public init(path: String, createFolders: Bool = true) throws(OutputError) {
        file = try OutputFile(path: path, options: OutputFile.Options(createFolders: createFolders))
    }

    public func write(line: String) { file.write(line: line) }

    public func close() throws(OutputError) { try file.commit() }

    /// Removes the partial file of a run that did not finish.
    public func discard() { file.discard() }
}
