import Foundation

/// A Chrome/Perfetto trace (Trace Event Format, JSON) of an `Activity`: one process per node,
/// one thread per worker VM (more when its slices overlap, see `SliceLanes`), complete ("X")
/// slices for every operation and instant ("i") events for applications. Times are
/// microseconds of simulated time. Loads in ui.perfetto.dev and chrome://tracing.
public enum PerfettoTrace {
    /// Thread ids: 1 for the node's own track, then `vmThreadBase + vm * lanesPerVM + lane`.
    static let nodeThread = 1
    static let vmThreadBase = 1000
    static let lanesPerVM = 1000

    public static func json(_ activity: Activity, scenario: Scenario) -> String {
        var out = "{\"displayTimeUnit\":\"ms\",\"otherData\":{\"scenario\":\"\(jsonEscaped(scenario.name))\","
            + "\"seed\":\(scenario.seed),\"clock\":\"simulated time\",\"end_s\":\(activity.endSeconds),"
            + "\"truncated\":\(activity.truncated)},\"traceEvents\":[\n"
        var first = true
        func emit(_ event: String) {
            if !first { out += ",\n" }
            first = false
            out += event
        }
        func process(_ node: Int32) -> Int { Int(node) + 1 }

        // Tracks: every slice's lane, per VM (or node when it ran without one).
        var byTrack: [Int64: [Int]] = [:]
        for (k, slice) in activity.slices.enumerated() { byTrack[trackKey(slice), default: []].append(k) }
        var thread = Array(repeating: nodeThread, count: activity.slices.count)
        var lanesOfVM: [Int32: Int] = [:]
        for key in byTrack.keys.sorted() {
            let members = byTrack[key]!
            let lanes = SliceLanes.assign(members.map {
                (nanoseconds(activity.slices[$0].startSeconds), nanoseconds(activity.slices[$0].endSeconds))
            }, exclusive: members.map { activity.slices[$0].operation == .object })
            for (k, lane) in zip(members, lanes) {
                if let vm = activity.slices[k].vm {
                    precondition(lane < lanesPerVM, "more than \(lanesPerVM) overlapping operations on vm \(vm)")
                    thread[k] = vmThreadBase + Int(vm) * lanesPerVM + lane
                    lanesOfVM[vm] = max(lanesOfVM[vm] ?? 1, lane + 1)
                } else {
                    // Objects run on the node itself: lanes after the node's own track.
                    thread[k] = nodeThread + 1 + lane
                }
            }
        }

        for node in 0..<Int32(activity.nodeCount) {
            emit(metadata("process_name", pid: process(node), tid: 0, "name", "\"node \(node)\""))
            emit(metadata("process_sort_index", pid: process(node), tid: 0, "sort_index", "\(node)"))
            emit(metadata("thread_name", pid: process(node), tid: nodeThread, "name", "\"node \(node) services\""))
            emit(metadata("thread_sort_index", pid: process(node), tid: nodeThread, "sort_index", "0"))
        }
        var nodeLanes: [Int32: Int] = [:]
        for (k, slice) in activity.slices.enumerated() where slice.vm == nil {
            nodeLanes[slice.node] = max(nodeLanes[slice.node] ?? 0, thread[k] - nodeThread)
        }
        for node in nodeLanes.keys.sorted() {
            for lane in 1...nodeLanes[node]! {
                emit(metadata("thread_name", pid: process(node), tid: nodeThread + lane, "name", "\"node \(node) objects #\(lane)\""))
                emit(metadata("thread_sort_index", pid: process(node), tid: nodeThread + lane, "sort_index", "\(lane)"))
            }
        }
        for vm in activity.vms {
            let lanes = lanesOfVM[vm.id] ?? 1
            for lane in 0..<lanes {
                let tid = vmThreadBase + Int(vm.id) * lanesPerVM + lane
                let name = "vm \(vm.id) (node\(vm.node)_worker\(vm.ordinal))" + (lane == 0 ? "" : " +\(lane)")
                emit(metadata("thread_name", pid: process(vm.node), tid: tid, "name", "\"\(jsonEscaped(name))\""))
                emit(metadata("thread_sort_index", pid: process(vm.node), tid: tid, "sort_index", "\(1000 + Int(vm.ordinal) * 100 + lane)"))
            }
        }
        for (k, slice) in activity.slices.enumerated() {
            let start = nanoseconds(slice.startSeconds)
            let end = nanoseconds(slice.endSeconds)
            var args = "\"outcome\":\"\(slice.outcome.rawValue)\""
            if let app = slice.app { args += ",\"app\":\(app)" }
            if let vm = slice.vm { args += ",\"vm\":\(vm)" }
            for id in slice.ids { args += ",\"\(id.name)\":\(id.value)" }
            emit("{\"ph\":\"X\",\"name\":\"\(jsonEscaped(slice.label))\",\"cat\":\"\(slice.operation.rawValue)\","
                + "\"pid\":\(process(slice.node)),\"tid\":\(thread[k]),\"ts\":\(microseconds(start)),"
                + "\"dur\":\(microseconds(end - start)),\"args\":{\(args)}}")
        }
        for instant in activity.instants {
            let tid = instant.vm.map { vmThreadBase + Int($0) * lanesPerVM } ?? nodeThread
            var args = ""
            var fields: [String] = []
            if let app = instant.app { fields.append("\"app\":\(app)") }
            if let vm = instant.vm { fields.append("\"vm\":\(vm)") }
            for id in instant.ids { fields.append("\"\(id.name)\":\(id.value)") }
            args = fields.joined(separator: ",")
            emit("{\"ph\":\"i\",\"s\":\"t\",\"name\":\"\(jsonEscaped(instant.label))\",\"cat\":\"application\","
                + "\"pid\":\(process(instant.node)),\"tid\":\(tid),\"ts\":\(microseconds(nanoseconds(instant.timeSeconds))),"
                + "\"args\":{\(args)}}")
        }
        out += "\n]}\n"
        return out
    }

    static func trackKey(_ slice: Activity.Slice) -> Int64 {
        if let vm = slice.vm { return Int64(vm) }
        return -1 - Int64(slice.node)
    }

    static func metadata(_ name: String, pid: Int, tid: Int, _ key: String, _ value: String) -> String {
        "{\"ph\":\"M\",\"name\":\"\(name)\",\"pid\":\(pid),\"tid\":\(tid),\"args\":{\"\(key)\":\(value)}}"
    }

    /// Integer nanoseconds as decimal microseconds, exactly.
    static func microseconds(_ ns: Int64) -> String {
        let sign = ns < 0 ? "-" : ""
        let magnitude = ns.magnitude
        let fraction = String(magnitude % 1000)
        return sign + "\(magnitude / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}
