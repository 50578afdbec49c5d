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
        let plane = simulation.plane
        var apps = "app,main_node,objects,submitted_s,placed_s,finished_s,outcome,reason\n"
        for (i, app) in plane.apps.enumerated() {
            let times = simulation.applicationTimes[i]
            let outcome = times.finishedAt.isNaN ? "unfinished" : (times.failure == nil ? "completed" : "failed")
            apps += "\(i),\(app.main.index),\(app.objectCount),\(times.submittedAt),"
                + "\(csv(times.placedAt)),\(csv(times.finishedAt)),\(outcome),\(times.failure?.rawValue ?? "")\n"
        }
        try folder.write(apps, named: "applications.csv")
        var vms = "vm,node,ordinal,holder,power,running_s,reserved_s\n"
        for (i, vm) in plane.vms.enumerated() {
            let world = simulation.worldVMs[i]
            vms += "\(i),\(vm.node.index),\(vm.ordinal),\(holderName(vm.holder)),\(world.power.rawValue),"
                + "\(world.runningSeconds),\(world.reservedSeconds)\n"
        }
        try folder.write(vms, named: "vms.csv")
        // Memory columns only when memory is modelled, so other runs keep their files.
        let memory = simulation.memory.isModelled
        var nodes = "node,jobs,searchnode_jobs,workers,neighbours" + (memory ? ",memory_mb,peak_memory_mb\n" : "\n")
        for i in 0..<plane.nodeCount {
            let node = NodeID(i)
            nodes += "\(i),\(plane.jobs(on: node)),\(plane.searchNodeJobs(on: node)),"
                + "\(plane.workers(on: node).count),\(plane.neighbours(of: node).count)"
            if memory {
                let limit = simulation.scenario.memoryMBOfNode[i]
                nodes += ",\(limit > 0 ? "\(limit)" : ""),\(simulation.memory.peakMB[i])"
            }
            nodes += "\n"
        }
        try folder.write(nodes, named: "nodes.csv")
        try folder.write(summary.json() + "\n", named: marker)
    }

    static func csv(_ value: Double) -> String { value.isNaN ? "" : "\(value)" }

    static func holderName(_ holder: VMHolder) -> String {
        switch holder {
        case .free: "free"
        case .application(let app): "app\(app.index)"
        case .cloneSource: "clone-source"
        case .beingCloned: "being-cloned"
        case .discarded: "discarded"
        }
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
