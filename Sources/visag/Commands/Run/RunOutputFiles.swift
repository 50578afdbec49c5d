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
    /// `--sample-every`: `node-series.csv` and `vm-series.csv`, streamed into the new `--out` folder.
    let series: SeriesFiles?

    struct SeriesFiles {
        let nodes: OutputFile
        let vms: OutputFile
        let series: RunSeries
    }

    /// `sampleEverySeconds` (> 0, checked by the caller) needs `out`.
    init(out: String?, trace: String?, perfetto: String?, decisions: String?,
         sampleEverySeconds: Double? = nil) throws {
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
            if let interval = sampleEverySeconds, let folder {
                let nodes = try OutputFile(path: folder.place(named: "node-series.csv"))
                let vms = try OutputFile(path: folder.place(named: "vm-series.csv"))
                series = SeriesFiles(nodes: nodes, vms: vms,
                                     series: RunSeries(intervalSeconds: interval, nodes: nodes, vms: vms))
            } else {
                series = nil
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
                try series?.nodes.commit()
                try series?.vms.commit()
                try RunOutputs.write(tables(), summary: summary, to: folder)
                try folder.commit()
            }
        } catch {
            discard()
            throw CLIError.runFailed("\(error)")
        }
    }

    /// A series that reached `RunSeries.maxSamples` says so on standard error (its files end there).
    func warnIfSeriesTruncated() {
        guard let series = series?.series, let at = series.truncatedAtSeconds else { return }
        FileHandle.standardError.write(Data(("warning: --sample-every: the series stop at t=\(at) s after "
            + "\(series.maxSamples) samples; give a longer interval to cover the whole run\n").utf8))
    }

    func discard() {
        trace?.discard()
        decisions?.discard()
        perfetto?.discard()
        series?.nodes.discard()
        series?.vms.discard()
        folder?.discard()
    }
}
