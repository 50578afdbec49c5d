import Foundation
import Sim

/// `visag run --perfetto FILE`: records the run's events, replays them into a Chrome/Perfetto
/// trace after the run, and writes it beside its final name before renaming it into place.
struct PerfettoOutput {
    let path: String
    let recorder = ActivityRecorder()

    /// Checks the path can be written before the run starts (exit 2 otherwise).
    init(path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw CLIError.badInput("--perfetto: \(path) is a directory; give a file name such as run.perfetto.json")
        }
        let probe = path + ".partial"
        guard FileManager.default.createFile(atPath: probe, contents: nil) else {
            throw CLIError.badInput("--perfetto: cannot create \(path) (does its folder exist and is it writable?)")
        }
        unlink(probe)
        self.path = path
    }

    /// The sink to hand the simulation, combined with the `--trace` file if there is one.
    func sink(with trace: TraceSink?) -> TraceSink {
        guard let trace else { return recorder }
        return TraceFanOut([trace, recorder])
    }

    func write(_ simulation: Simulation, endSeconds: Double) throws {
        let activity = ActivityReplay.replay(recorder, scenario: simulation.scenario, applications: simulation.plane.apps,
                                             endSeconds: endSeconds)
        if activity.truncated {
            FileHandle.standardError.write(Data(("visag: --perfetto: the trace stops at \(activity.endSeconds) s "
                + "(\(recorder.maxEvents) events kept); use --until for a shorter run\n").utf8))
        }
        try RunOutputs.writeAtomically(PerfettoTrace.json(activity, scenario: simulation.scenario), to: path)
    }
}
