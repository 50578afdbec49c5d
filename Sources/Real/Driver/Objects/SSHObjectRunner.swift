import Foundation
import Sim
import Model

/// Runs each parallel object in its QEMU worker the way the report's requester does: an SSH session to the
/// address Model launches at, logged in with the application's key, so the guest's `authorized_keys` restriction
/// forces `popcobjrun` (report §2.12). The guest prints `started <id>`, computes for the object's time scaled to
/// the wall clock, and prints `finished <id>`; closing the session stops the object.
///
/// Each object has its own thread that owns its `ssh` process (the driver's loop never blocks), bounded by
/// `maxObjects`. A launch reports `.objectLaunched` when the guest said `started`; `.objectFinished` when the
/// session ended (succeeded only after `finished`). Nothing is reported about an object after `kill`.
///
/// `@unchecked Sendable`: `live` and `records` are read and written only under their lock.
public final class SSHObjectRunner: ObjectRunner, @unchecked Sendable {
    /// One object as measured on the wall clock.
    public struct ObjectRecord: Equatable, Sendable {
        public let object: ObjectID
        public let app: AppID
        public let domain: String
        /// From starting `ssh` to the guest's `started` line (nil: it never started).
        public let launchWallSeconds: Double?
        /// From starting `ssh` to the end of the session.
        public let sessionWallSeconds: Double
        public let finished: Bool
        public let killed: Bool
    }

    private struct Live {
        let process: Process
        let input: Pipe
    }

    public let channel: QEMUGuestChannel
    /// More objects at once than this fail to launch: each holds a thread and an `ssh` process.
    public let maxObjects: Int
    private let state = Locked<(live: [ObjectID: Live], records: [ObjectRecord])>(([:], []))
    private let clock = ContinuousClock()

    public init(channel: QEMUGuestChannel, maxObjects: Int = 64) {
        self.channel = channel
        self.maxObjects = maxObjects
    }

    public var activeObjects: Int { state.withLock { $0.live.count } }
    public var records: [ObjectRecord] { state.withLock { $0.records } }

    public func launch(_ launch: ObjectLaunch, loop: DriverLoop) {
        guard let guest = launch.guest, let address = launch.address,
              let key = channel.objectKey(app: launch.app, on: guest),
              activeObjects < maxObjects else {
            // No VM, no address, no key of this application in the guest, or too many objects: nothing can log in.
            loop.post(.objectLaunched(launch.object, succeeded: false))
            return
        }
        let seconds = max(0, launch.computeModelSeconds * loop.timeScale)
        let command = "object \(launch.object.index) \(String(format: "%.3f", seconds))"
        let process = Process()
        process.executableURL = URL(fileURLWithPath: GuestSSH.executable)
        process.arguments = channel.ssh.arguments(host: "\(address)", identity: key.privateKeyPath, command: command,
                                                  connectTimeoutSeconds: 10)
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        let started = clock.now
        do {
            try process.run()
        } catch {
            loop.post(.objectLaunched(launch.object, succeeded: false))
            return
        }
        state.withLock { $0.live[launch.object] = Live(process: process, input: input) }
        let thread = Thread { [self] in
            follow(launch, domain: guest.domainName, process: process, output: output, started: started, loop: loop)
        }
        thread.name = "visag-object-\(launch.object.index)"
        thread.start()
    }

    public func kill(_ object: ObjectID, loop: DriverLoop) {
        guard let live = state.withLock({ $0.live.removeValue(forKey: object) }) else { return }
        stop(live)
    }

    public func killAll(loop: DriverLoop) {
        let all = state.withLock { state -> [Live] in
            defer { state.live.removeAll() }
            return Array(state.live.values)
        }
        all.forEach(stop)
    }

    /// Closing the session's input ends the guest's object; the client goes too.
    private func stop(_ live: Live) {
        try? live.input.fileHandleForWriting.close()
        if live.process.isRunning { live.process.terminate() }
    }

    /// The object's thread: reads the guest's lines until the session ends, then reports.
    private func follow(_ launch: ObjectLaunch, domain: String, process: Process, output: Pipe,
                        started: ContinuousClock.Instant, loop: DriverLoop) {
        var buffer = ""
        var launchedAfter: Double?
        var finished = false
        while true {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            buffer += String(decoding: data, as: UTF8.self)
            while let newline = buffer.firstIndex(of: "\n") {
                let line = buffer[..<newline]
                buffer.removeSubrange(...newline)
                if line == "started \(launch.object.index)", launchedAfter == nil {
                    launchedAfter = WallTime.seconds(started.duration(to: clock.now))
                    let live = state.withLock { $0.live[launch.object] != nil }
                    if live { loop.post(.objectLaunched(launch.object, succeeded: true)) }
                }
                if line == "finished \(launch.object.index)" { finished = true }
            }
        }
        process.waitUntilExit()
        let session = WallTime.seconds(started.duration(to: clock.now))
        state.withLock { state in
            let killed = state.live.removeValue(forKey: launch.object) == nil
            state.records.append(ObjectRecord(object: launch.object, app: launch.app, domain: domain,
                                              launchWallSeconds: launchedAfter, sessionWallSeconds: session,
                                              finished: finished, killed: killed))
            guard !killed else { return }
            // Posted under the lock, so a kill on the loop thread comes either before (nothing posted) or after.
            if launchedAfter == nil {
                loop.post(.objectLaunched(launch.object, succeeded: false))
            } else {
                loop.post(.objectFinished(launch.object, succeeded: finished && process.terminationStatus == 0))
            }
        }
    }
}
