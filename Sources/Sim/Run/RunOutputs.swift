import Foundation
import Model

/// Writes a run's files. Every file is written beside its final name and renamed into
/// place, so no file is ever left half-written; `summary.json` goes last.
public enum RunOutputs {
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var message: String
        public var description: String { "\(path): error: \(message)" }
    }

    public static func write(_ simulation: Simulation, summary: RunSummary, to directory: String) throws {
        try makeDirectory(directory)
        let plane = simulation.plane
        var apps = "app,main_node,objects,submitted_s,placed_s,finished_s,outcome,reason\n"
        for (i, app) in plane.apps.enumerated() {
            let times = simulation.applicationTimes[i]
            let outcome = times.finishedAt.isNaN ? "unfinished" : (times.failure == nil ? "completed" : "failed")
            apps += "\(i),\(app.main.index),\(app.objectCount),\(times.submittedAt),"
                + "\(csv(times.placedAt)),\(csv(times.finishedAt)),\(outcome),\(times.failure?.rawValue ?? "")\n"
        }
        try writeAtomically(apps, to: path(directory, "applications.csv"))
        var vms = "vm,node,ordinal,holder,power,running_s,reserved_s\n"
        for (i, vm) in plane.vms.enumerated() {
            let world = simulation.worldVMs[i]
            vms += "\(i),\(vm.node.index),\(vm.ordinal),\(holderName(vm.holder)),\(world.power.rawValue),"
                + "\(world.runningSeconds),\(world.reservedSeconds)\n"
        }
        try writeAtomically(vms, to: path(directory, "vms.csv"))
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
        try writeAtomically(nodes, to: path(directory, "nodes.csv"))
        try writeAtomically(summary.json() + "\n", to: path(directory, "summary.json"))
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

    static func path(_ directory: String, _ name: String) -> String {
        (directory as NSString).appendingPathComponent(name)
    }

    public static func makeDirectory(_ directory: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw WriteError(path: directory, message: "exists and is not a directory") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw WriteError(path: directory, message: "cannot create the directory (\(error.localizedDescription))")
        }
    }

    public static func writeAtomically(_ text: String, to path: String) throws {
        let temporary = path + ".partial"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw WriteError(path: path, message: "cannot write the file")
        }
        if rename(temporary, path) != 0 {
            unlink(temporary)
            throw WriteError(path: path, message: "cannot move the file into place (errno \(errno))")
        }
    }
}

/// A JSON Lines trace file written through a buffer; renamed into place on `close()`.
public final class JSONLinesFile: TraceSink {
    private let path: String
    private let temporary: String
    private let handle: FileHandle
    private var buffer: [UInt8] = []

    public init(path: String) throws {
        self.path = path
        temporary = path + ".partial"
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw RunOutputs.WriteError(path: path, message: "is a directory; --trace needs a file name")
        }
        guard FileManager.default.createFile(atPath: temporary, contents: nil),
              let handle = FileHandle(forWritingAtPath: temporary) else {
            throw RunOutputs.WriteError(path: path, message: "cannot create the trace file")
        }
        self.handle = handle
        buffer.reserveCapacity(1 << 16)
    }

    public func write(line: String) {
        buffer.append(contentsOf: line.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 16 { flush() }
    }

    private func flush() {
        handle.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }

    public func close() throws {
        flush()
        try handle.close()
        if rename(temporary, path) != 0 {
            throw RunOutputs.WriteError(path: path, message: "cannot move the trace into place (errno \(errno))")
        }
    }

    /// Removes the partial file of a run that did not finish.
    public func discard() {
        try? handle.close()
        unlink(temporary)
    }
}
