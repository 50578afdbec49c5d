import Foundation
import Model
import XCTest
@testable import Sim

/// The activity rebuilt from a run's trace: the replayed control plane ends exactly as the
/// run's did, operations pair up with their completions, states tile each VM's life, and the
/// Perfetto trace has a track per node and VM with well-nested slices.
final class ActivityReplayTests: XCTestCase {
    static let root = PackagePaths.root

    func record(_ scenario: String, overrides: [String] = [], until: Double = .infinity)
        throws -> (Simulation, Metrics, ActivityRecorder) {
        let loaded = try ScenarioLoader.load(path: Self.root.appendingPathComponent(scenario).path, overrides: overrides)
        let recorder = ActivityRecorder(untilSeconds: until)
        var simulation = Simulation(scenario: loaded, traceSink: recorder)
        let metrics = simulation.run()
        return (simulation, metrics, recorder)
    }

    func testReplayedPlaneEndsAsTheRunsOwn() throws {
        for scenario in ["Scenarios/quickstart.yaml", "Scenarios/policies/clone-ahead.yaml", "Scenarios/races/dhcp-lease.yaml"] {
            let (simulation, metrics, recorder) = try record(scenario)
            let (_, plane) = ActivityReplay.replayed(recorder, scenario: simulation.scenario,
                                                     applications: simulation.plane.apps, endSeconds: metrics.simulatedSeconds)
            XCTAssertEqual(plane.vms, simulation.plane.vms, scenario)
            XCTAssertEqual(plane.apps, simulation.plane.apps, scenario)
            XCTAssertEqual(plane.objects, simulation.plane.objects, scenario)
            XCTAssertEqual(plane.ignoredEvents, simulation.plane.ignoredEvents, scenario)
        }
    }

    func testSlicesPairUpAndStatesTileEachVM() throws {
        let (simulation, metrics, recorder) = try record("Scenarios/policies/clone-ahead.yaml")
        let activity = ActivityReplay.replay(recorder, scenario: simulation.scenario, applications: simulation.plane.apps,
                                             endSeconds: metrics.simulatedSeconds)
        XCTAssertFalse(activity.truncated)
        let operations = Set(activity.slices.map(\.operation))
        XCTAssertEqual(operations, [.revert, .clone, .cloned, .address, .keyFetch, .keyWrite, .launch, .object])
        // A completed run leaves nothing in flight, and every object that ran is one slice.
        XCTAssertEqual(activity.slices.filter { $0.outcome == .unfinished }, [])
        let objects = activity.slices.filter { $0.operation == .object }
        let launched = activity.slices.filter { $0.operation == .launch && $0.outcome == .succeeded }
        XCTAssertEqual(objects.count, launched.count)
        XCTAssertGreaterThanOrEqual(objects.count, metrics.applicationsCompleted)
        XCTAssertEqual(activity.slices.filter { $0.operation == .clone }.count, metrics.clonesFinished + metrics.clonesFailed)
        for slice in activity.slices {
            XCTAssertLessThanOrEqual(slice.startSeconds, slice.endSeconds, slice.label)
            XCTAssertNotNil(slice.vm, "virtual-secure objects run in worker VMs: \(slice.label)")
        }
        XCTAssertEqual(activity.instants.filter { $0.label == "app arrives" }.count, metrics.applicationsSubmitted)
        for vm in activity.vms where !vm.spans.isEmpty {
            for (a, b) in zip(vm.spans, vm.spans.dropFirst()) {
                XCTAssertEqual(a.toSeconds, b.fromSeconds, "vm \(vm.id): spans must tile time")
                XCTAssertNotEqual(a.state, b.state, "vm \(vm.id): equal neighbours are one span")
            }
            for span in vm.spans { XCTAssertLessThan(span.fromSeconds, span.toSeconds) }
        }
        // Every initial worker is reverted at start-up, so its first state is a revert from time 0.
        let first = try XCTUnwrap(activity.vms.first?.spans.first)
        XCTAssertEqual(first.state, .reverting)
        XCTAssertEqual(first.fromSeconds, 0)
    }

    func testRecorderBoundStopsTheReplayAtTheWindow() throws {
        let (simulation, metrics, recorder) = try record("Scenarios/quickstart.yaml", until: 900)
        let activity = ActivityReplay.replay(recorder, scenario: simulation.scenario, applications: simulation.plane.apps,
                                             endSeconds: metrics.simulatedSeconds)
        XCTAssertEqual(activity.endSeconds, 900)
        XCTAssertTrue(activity.slices.allSatisfy { $0.endSeconds <= 900 })
        XCTAssertTrue(activity.vms.allSatisfy { $0.spans.allSatisfy { $0.toSeconds <= 900 } })
        let timeline = VMTimeline(activity, cell: 0, values: [], seed: 1, scenario: "q", windowEndSeconds: 900,
                                  runEndSeconds: metrics.simulatedSeconds, maxVMs: 2)
        XCTAssertEqual(timeline.rows.count, 2)
        XCTAssertEqual(timeline.vmCount, activity.vms.count)
    }

    /// Two objects running at once never share a lane, even when one's run lies inside the other's.
    func testExclusiveIntervalsNeverNest() {
        let intervals: [(start: Int64, end: Int64)] = [(0, 100), (10, 20), (15, 18), (30, 40)]
        let lanes = SliceLanes.assign(intervals, exclusive: [true, true, false, true])
        XCTAssertNotEqual(lanes[0], lanes[1])
        XCTAssertNotEqual(lanes[0], lanes[3])
        XCTAssertEqual(SliceLanes.assign(intervals), [0, 0, 0, 0], "without the flag they nest")
    }

    func testLanesAreWellNested() {
        let intervals: [(start: Int64, end: Int64)] = [(0, 10), (2, 5), (3, 12), (5, 6), (10, 20), (11, 12), (4, 4)]
        let lanes = SliceLanes.assign(intervals)
        XCTAssertEqual(lanes[0], 0)
        XCTAssertEqual(lanes[1], 0, "inside the first")
        XCTAssertNotEqual(lanes[2], 0, "crosses the first's end")
        for i in intervals.indices {
            for j in intervals.indices where i < j && lanes[i] == lanes[j] {
                let (a, b) = (intervals[i], intervals[j])
                let disjoint = a.end <= b.start || b.end <= a.start
                let nested = (a.start <= b.start && b.end <= a.end) || (b.start <= a.start && a.end <= b.end)
                XCTAssertTrue(disjoint || nested, "\(a) and \(b) share lane \(lanes[i])")
            }
        }
    }

    func testPerfettoTraceHasTracksAndWellNestedSlices() throws {
        let (simulation, metrics, recorder) = try record("Scenarios/quickstart.yaml")
        let activity = ActivityReplay.replay(recorder, scenario: simulation.scenario, applications: simulation.plane.apps,
                                             endSeconds: metrics.simulatedSeconds)
        let json = PerfettoTrace.json(activity, scenario: simulation.scenario)
        try PerfettoTraceCheck.verify(json, nodes: simulation.scenario.grid.nodes.count, vms: simulation.plane.vms.count,
                                      applications: metrics.applicationsSubmitted)
    }
}

/// Checks a Trace Event Format file: process and thread names for every node and VM, the
/// expected slice kinds, instants for arrivals and ends, and slices well nested per thread.
enum PerfettoTraceCheck {
    struct Problem: Error, CustomStringConvertible { var description: String }

    static func verify(_ json: String, nodes: Int, vms: Int, applications: Int) throws {
        func check(_ condition: Bool, _ message: @autoclosure () -> String) throws {
            if !condition { throw Problem(description: message()) }
        }
        let root = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let events = try XCTUnwrap(root?["traceEvents"] as? [[String: Any]])
        let processNames = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "process_name" }
        try check(processNames.count == nodes, "\(processNames.count) process names for \(nodes) nodes")
        let threadNames = events.filter { $0["ph"] as? String == "M" && $0["name"] as? String == "thread_name" }
            .compactMap { ($0["args"] as? [String: Any])?["name"] as? String }
        for vm in 0..<vms { try check(threadNames.contains { $0.hasPrefix("vm \(vm) (") }, "no track for vm \(vm)") }
        let slices = events.filter { $0["ph"] as? String == "X" }
        let categories = Set(slices.compactMap { $0["cat"] as? String })
        for needed in ["revert", "address", "key write", "object", "launch"] {
            try check(categories.contains(needed), "no \(needed) slice (have \(categories.sorted()))")
        }
        // Ids are arguments, never in a slice's name, so every object slice is named "object" and they group.
        for slice in slices {
            let name = try XCTUnwrap(slice["name"] as? String)
            try check(!name.contains { $0.isNumber }, "an id in the slice name \"\(name)\"")
            if slice["cat"] as? String == "object" {
                try check((slice["args"] as? [String: Any])?["object"] is Int, "an object slice without its id: \(slice)")
            }
        }
        // Objects that run at once in one VM or node are on tracks of their own: none overlaps another on its track.
        var objectsByTrack: [String: [(Double, Double)]] = [:]
        for slice in slices where slice["cat"] as? String == "object" {
            let ts = try XCTUnwrap(slice["ts"] as? Double), dur = try XCTUnwrap(slice["dur"] as? Double)
            objectsByTrack["\(slice["pid"]!)/\(slice["tid"]!)", default: []].append((ts, ts + dur))
        }
        for (track, runs) in objectsByTrack {
            let sorted = runs.sorted { $0.0 < $1.0 }
            for (a, b) in zip(sorted, sorted.dropFirst()) {
                try check(b.0 >= a.1, "track \(track): object slices overlap at \(b.0)")
            }
        }
        let instants = events.filter { $0["ph"] as? String == "i" }.compactMap { $0["name"] as? String }
        try check(instants.filter { $0.contains("arrives") }.count == applications, "arrival instants")
        try check(instants.filter { $0.contains("completes") || $0.contains("fails") }.count == applications, "end instants")
        // Well nested per (process, thread), in integer nanoseconds as written.
        var byThread: [String: [(Int64, Int64)]] = [:]
        for slice in slices {
            let ts = try XCTUnwrap(slice["ts"] as? Double), dur = try XCTUnwrap(slice["dur"] as? Double)
            try check(dur >= 0, "negative duration")
            let start = Int64((ts * 1000).rounded())
            byThread["\(slice["pid"]!)/\(slice["tid"]!)", default: []].append((start, start + Int64((dur * 1000).rounded())))
        }
        for (thread, intervals) in byThread {
            var open: [Int64] = []
            for (start, end) in intervals.sorted(by: { ($0.0, -$0.1) < ($1.0, -$1.1) }) {
                while let top = open.last, top <= start { open.removeLast() }
                if let top = open.last { try check(end <= top, "thread \(thread): [\(start), \(end)] crosses a parent ending at \(top)") }
                open.append(end)
            }
        }
    }
}
