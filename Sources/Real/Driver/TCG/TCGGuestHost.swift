import Foundation

/// The host side of worker guests under QEMU/TCG: the guest image (built by `scripts/tcg-guest/build-guest.sh` or
/// taken from its cache), a libvirtd serving qemu:///system (started by `scripts/tcg-guest/libvirtd.sh` unless one
/// already answers; the script never defines or starts a network), a connection, and the worker domains made
/// through it. `tearDown()` removes every domain it made and stops the daemon it started, whatever happened.
///
/// Used on one thread at a time (the CLI's or a test's); the connection itself may be handed to a `RealDriver`.
public final class TCGGuestHost {
    public static let uri = "qemu:///system"
    public static let buildTimeoutSeconds = 600.0
    public static let daemonTimeoutSeconds = 60.0
    /// `scripts/tcg-guest` of the source tree this binary was built from.
    public static let defaultScriptsDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/tcg-guest")

    public let image: QEMUGuestImage
    public let connection: LibvirtConnection
    /// The workers' disks and console logs, the daemon's pid and log; removed by `tearDown()`.
    public let stateDirectory: URL
    public let scriptsDirectory: URL
    /// The daemon was started here (and is stopped by `tearDown()`), rather than reused.
    public let startedDaemon: Bool
    private var domains: [(QEMUWorkerDomain, LibvirtDomain)] = []
    private var tornDown = false

    /// Builds (or finds) the image, then starts or reuses the daemon and connects. Throws on a missing script, a
    /// failed build or a daemon that does not answer; whatever was started is stopped again.
    /// `workerBinary`: a visag executable that `add-worker.sh` puts into the image with its libraries (the
    /// matrix benchmark's guests).
    public init(scriptsDirectory: URL = TCGGuestHost.defaultScriptsDirectory, statePrefix: String = "visag-qemu",
                workerBinary: String? = nil) throws
    {
        self.scriptsDirectory = scriptsDirectory
        for name in ["build-guest.sh", "libvirtd.sh", "add-worker.sh"] {
            let path = scriptsDirectory.appendingPathComponent(name).path
            guard FileManager.default.fileExists(atPath: path) else {
                throw QEMUGuestError.image("\(path) is missing: the TCG guests need the source tree's scripts/tcg-guest")
            }
        }
        let build = try Self.script(scriptsDirectory, "build-guest.sh", [], timeoutSeconds: Self.buildTimeoutSeconds)
        guard let directory = build.split(whereSeparator: \.isNewline).last else {
            throw QEMUGuestError.image("build-guest.sh printed no directory")
        }
        var imageDirectory = String(directory)
        if let workerBinary {
            let added = try Self.script(scriptsDirectory, "add-worker.sh", [imageDirectory, workerBinary],
                                        timeoutSeconds: Self.buildTimeoutSeconds)
            guard let line = added.split(whereSeparator: \.isNewline).last else {
                throw QEMUGuestError.image("add-worker.sh printed no directory")
            }
            imageDirectory = String(line)
        }
        image = try QEMUGuestImage(directory: URL(fileURLWithPath: imageDirectory))
        stateDirectory = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(statePrefix)-\(UUID().uuidString.prefix(8).lowercased())")
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        let daemon: String
        do {
            daemon = try Self.script(scriptsDirectory, "libvirtd.sh", ["start", stateDirectory.path],
                                     timeoutSeconds: Self.daemonTimeoutSeconds)
        } catch {
            try? FileManager.default.removeItem(at: stateDirectory)
            throw error
        }
        startedDaemon = daemon.hasPrefix("started")
        do {
            connection = try LibvirtConnection(uri: Self.uri)
        } catch {
            Self.stopDaemon(scriptsDirectory, stateDirectory, started: startedDaemon)
            try? FileManager.default.removeItem(at: stateDirectory)
            throw error
        }
    }

    deinit {
        tearDown()
    }

    /// Names of the domains made so far, in order.
    public var domainNames: [String] { domains.map(\.1.name) }

    /// Defines, boots and snapshots a worker (`QEMUWorkerDomain.create`); refuses to touch a domain of that name
    /// that it did not make.
    public func makeWorker(_ guest: GuestTarget, channel: QEMUGuestChannel, memoryMiB: Int,
                           bootTimeoutSeconds: Double, workerHostPort: UInt16? = nil) throws -> LibvirtDomain {
        precondition(!tornDown, "a torn-down host makes no workers")
        if (try? connection.lookupDomain(name: guest.domainName)) != nil {
            throw QEMUGuestError.image("\(Self.uri) already has a domain \(guest.domainName), which this run did not "
                + "make: not touching it (remove it with virsh -c \(Self.uri) destroy \(guest.domainName); "
                + "virsh -c \(Self.uri) undefine \(guest.domainName) --snapshots-metadata)")
        }
        let worker = QEMUWorkerDomain(guest: guest, image: image, directory: stateDirectory,
                                      hostPort: channel.hostPort, memoryMiB: memoryMiB, workerHostPort: workerHostPort)
        let domain = try worker.create(in: connection, channel: channel, bootTimeoutSeconds: bootTimeoutSeconds)
        domains.append((worker, domain))
        return domain
    }

    /// The guest's serial console so far (boot messages, dropbear's log); empty if there is none.
    public func consoleLog(of guest: GuestTarget) -> String {
        let path = stateDirectory.appendingPathComponent("\(guest.domainName).console.log").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Removes every domain made (powered off, undefined with its snapshot, disk deleted), closes the connection,
    /// stops the daemon if it was started here and removes the state directory. Returns the domains removed;
    /// `log` gets one line per domain that could not be. Idempotent.
    @discardableResult
    public func tearDown(log: DriverLog = .standardError) -> [String] {
        guard !tornDown else { return [] }
        tornDown = true
        var removed: [String] = []
        for (worker, domain) in domains.reversed() {
            do {
                try worker.remove(domain)
                removed.append(domain.name)
            } catch {
                log.line("could not remove \(domain.name): \(error)")
            }
        }
        domains.removeAll()
        connection.close()
        Self.stopDaemon(scriptsDirectory, stateDirectory, started: startedDaemon)
        try? FileManager.default.removeItem(at: stateDirectory)
        return removed.reversed()
    }

    private static func stopDaemon(_ scripts: URL, _ state: URL, started: Bool) {
        guard started else { return }
        _ = try? script(scripts, "libvirtd.sh", ["stop", state.path], timeoutSeconds: daemonTimeoutSeconds)
    }

    /// Runs one of `scripts/tcg-guest/`; its standard output, trimmed. Throws with its error output on failure.
    static func script(_ directory: URL, _ name: String, _ arguments: [String],
                       timeoutSeconds: Double) throws -> String {
        let path = directory.appendingPathComponent(name).path
        let result = try HostCommand.run("/bin/bash", [path] + arguments, timeoutSeconds: timeoutSeconds)
        guard result.succeeded else {
            throw QEMUGuestError.command("\(name) \(arguments.joined(separator: " ")) failed"
                + (result.timedOut ? " (timed out)" : " (exit \(result.status))") + ": \(result.stderrTail)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
