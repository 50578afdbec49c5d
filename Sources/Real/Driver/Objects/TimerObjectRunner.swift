import Model

/// Runs every object in process for its compute time scaled to the wall clock: the launch returns at once and
/// the object finishes `computeModelSeconds × timeScale` wall seconds later, on the loop's timers. Nothing runs
/// anywhere; it stands in for the guest's `popcobjrun` on hypervisors without guests.
///
/// `@unchecked Sendable` (its timer closures are `@Sendable`): `live` and the counters are touched only on the
/// driver's loop thread, where every `ObjectRunner` call and every timer closure runs.
public final class TimerObjectRunner: ObjectRunner, @unchecked Sendable {
    private var live: Set<ObjectID> = []
    public private(set) var launched = 0
    public private(set) var killed = 0

    public init() {}

    public var activeObjects: Int { live.count }

    public func launch(_ launch: ObjectLaunch, loop: DriverLoop) {
        let object = launch.object
        live.insert(object)
        launched += 1
        loop.post(.objectLaunched(object, succeeded: true))
        loop.afterWallSeconds(launch.computeModelSeconds * loop.timeScale) { [self] in
            guard live.remove(object) != nil else { return }
            loop.post(.objectFinished(object, succeeded: true))
        }
    }

    public func kill(_ object: ObjectID, loop: DriverLoop) {
        if live.remove(object) != nil { killed += 1 }
    }

    public func killAll(loop: DriverLoop) {
        killed += live.count
        live.removeAll()
    }
}
