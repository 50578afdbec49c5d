import Foundation
import Model
import Sim

/// The files `visag run` writes besides its summary (`--out`, `--trace`, `--perfetto`, `--decisions`), the same
/// on both backends: opened before the run, so a path that cannot be written fails at once (a trace, Perfetto or
/// decision file inside the `--out` folder goes into its new folder, `OutputFolder.place`); committed after it,
/// or discarded.
struct RunOutputFiles {
    let folder: OutputFolder?
    let trace: JSONLinesFile?
    let perfetto: PerfettoOutput?
    let decisions: DecisionLog?

    init(out: String?, trace: String?, perfetto: String?, decisions: String?) throws {
        do throws(OutputError) {
            let folder = try out.map { path throws(OutputError) in try OutputFolder(path: path, marker: RunOutputs.marker) }
            self.folder = folder
            self.trace = try trace.map { path throws(OutputError) in try JSONLinesFile(path: folder?.place(path) ?? path) }
            self.perfetto = try perfetto.map { path throws(OutputError) in
                try PerfettoOutput(path: folder?.place(path) ?? path)
            }
            self.decisions = try decisions.map { path throws(OutputError) in
                try DecisionLog(path: folder?.place(path) ?? path)
            }
        } catch {
            throw CLIError(error)
        }
    }

    /// What the run records its trace into: the `--trace` file, the Perfetto recorder, both or neither.
    var sink: TraceSink? { perfetto?.sink(with: trace) ?? trace }

    /// Writes what is left and moves every file into place; on a failure removes them all.
    /// `applications`: Model's at the end (the Perfetto replay's arrivals); `tables`: `--out`'s CSV files.
    func commit(scenario: Scenario, applications: [Application], endSeconds: Double, tables: () -> RunTables,
                summary: RunSummary) throws {
        do throws(OutputError) {
            try trace?.close()
            try decisions?.commit()
            try perfetto?.write(scenario: scenario, applications: applications, endSeconds: endSeconds)
            if let folder {
                try RunOutputs.write(tables(), summary: summary, to: folder)
                try folder.commit()
            }
        } catch {
            discard()
            throw CLIError.runFailed("\(error)")
        }
    }

    func discard() {
        trace?.discard()
        decisions?.discard()
        perfetto?.discard()
        folder?.discard()
    }
}
