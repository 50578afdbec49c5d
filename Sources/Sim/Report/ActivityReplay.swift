import Model

/// Rebuilds a run's `Activity` from the events an `ActivityRecorder` kept.
///
/// Model is sans-I/O and deterministic, so a second `ControlPlane` fed the same delivered
/// events at the same times emits the same actions as the run's own: the replay sees when
/// every operation started (its action), when it ended (its completion event) and each VM's
/// state, with no hook in the simulator. The trace lacks one input, each arrival's main node
/// and object count; they come from the finished run's applications.
public enum ActivityReplay {
    /// `applications`: the finished run's `plane.apps` (arrival i is application i).
    /// `endSeconds`: where the run stopped; the replay stops earlier if the recorder did.
    public static func replay(_ recorder: ActivityRecorder, scenario: Scenario, applications: [Application],
                              endSeconds: Double) -> Activity {
        replayed(recorder, scenario: scenario, applications: applications, endSeconds: endSeconds).activity
    }

    /// The activity and the replayed plane (which must end as the run's own did).
    static func replayed(_ recorder: ActivityRecorder, scenario: Scenario, applications: [Application],
                         endSeconds: Double) -> (activity: Activity, plane: ControlPlane) {
        var plane = ControlPlane(config: scenario.grid)
        var builder = ActivityBuilder(nodeCount: plane.nodeCount)
        var actions = ActionBatch(capacity: 64)
        var touched: [Int32] = []

        func step(at time: Double, _ change: (inout ControlPlane) -> Void) {
            change(&plane)
            while plane.hasPendingActions {
                plane.drainActions(into: &actions)
                for action in actions { builder.performed(action, at: time, plane: plane, touched: &touched) }
            }
            builder.refresh(nodes: touched, at: time, plane: plane)
            touched.removeAll(keepingCapacity: true)
        }

        touched = (0..<Int32(plane.nodeCount)).map { $0 }
        step(at: 0) { $0.handle(.gridStarted, now: 0) }
        var end = endSeconds
        for entry in recorder.entries {
            switch entry {
            case .event(let time, let event):
                builder.delivered(event, at: time, plane: plane, touched: &touched)
                step(at: time) { $0.handle(event, now: time) }
            case .arrival(let time, let index):
                precondition(Int(index) < applications.count, "arrival \(index) has no application in the run")
                let app = applications[Int(index)]
                builder.arrived(app: index, main: app.main.index, objects: app.objectCount, at: time)
                touched.append(app.main.index)
                step(at: time) {
                    _ = $0.submitApplication(main: app.main, objects: app.objectCount,
                                             requirements: scenario.objectRequirements, now: time)
                }
            }
        }
        if recorder.truncated, let last = recorder.entries.last {
            switch last {
            case .event(let time, _), .arrival(let time, _): end = min(end, time)
            }
        }
        end = min(end, recorder.untilSeconds)
        return (builder.finish(at: end, plane: plane, truncated: recorder.truncated), plane)
    }
}
