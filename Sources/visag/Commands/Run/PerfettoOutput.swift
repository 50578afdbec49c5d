import Foundation
import Model
import Sim

/// `visag run --perfetto FILE`: records the run's events, replays them into a Chrome/Perfetto
/// trace after the run, and writes it through an `OutputFile` opened before the run (so a path that
/// cannot be written fails at once).
struct PerfettoOutput {
    let file: OutputFile
    let recorder = ActivityRecorder()

    init(path: String) throws(OutputError) {
        file = try OutputFile(path: path, options: OutputFile.Options(createFolders: true))
    }

    /// The sink to hand the simulation, combined with the `--trace` file if there is one.
    func sink(with trace: TraceSink?) -> TraceSink {
        guard let trace else { return recorder }
        return TraceFanOut([trace, recorder])
    }

    /// `applications`: Model's at the end of the run, either backend's.
    func write(scenario: Scenario, applications: [Application], endSeconds: Double) throws(OutputError) {
        let activity = ActivityReplay.replay(recorder, scenario: scenario, applications: applications,
                                             endSeconds: endSeconds)
        if activity.truncated {
            FileHandle.standardError.write(Data(("visag: --perfetto: the trace stops at \(activity.endSeconds) s "
                + "(\(recorder.maxEvents) events kept); use --until for a shorter run\n").utf8))
        }
        file.write(PerfettoTrace.json(activity, scenario: scenario))
        try file.commit()
    }

    func discard() { file.discard() }
}
