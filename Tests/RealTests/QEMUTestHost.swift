import Foundation
import XCTest
@testable import Real
#if canImport(Glibc)
import Glibc
#endif

/// The host side of the QEMU/TCG test: the guest image (built or taken from the cache), a libvirtd serving
/// qemu:///system (started for the test unless one already answers), a connection, and the worker domains the
/// test makes. `tearDown()` removes every domain it made and stops the daemon it started, whatever happened.
///
/// Missing prerequisites skip the test, unless `VISAG_REQUIRE_QEMU=1` (CI) turns them into failures.
final class QEMUTestHost {
    static let uri = "qemu:///system"
    static let requireVariable = "VISAG_REQUIRE_QEMU"
    static let buildTimeoutSeconds = 600.0
    static let daemonTimeoutSeconds = 60.0
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let scripts = packageRoot.appendingPathComponent("scripts/tcg-guest")
    /// What the test runs, and the package that brings each (scripts/install-test-deps.sh installs them).
    static let tools: [(path: String, package: String)] = [
        ("/usr/sbin/libvirtd", "libvirt-daemon"), ("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
        ("/usr/bin/qemu-img", "qemu-utils"), ("/usr/bin/tini", "tini"), ("/usr/sbin/dropbear", "dropbear-bin"),
        ("/usr/bin/dropbearkey", "dropbear-bin"), ("/bin/busybox", "busybox-static"),
        ("/usr/bin/ssh", "openssh-client"), ("/usr/bin/ssh-keygen", "openssh-client"),
        ("/usr/bin/virsh", "libvirt-clients"),
        ("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so", "libvirt-daemon-driver-qemu"),
    ]

    let image: QEMUGuestImage
    let connection: LibvirtConnection
    let stateDirectory: URL
    private var startedDaemon: Bool
    private var domains: [(QEMUWorkerDomain, LibvirtDomain)] = []

    /// Skips (or, under `VISAG_REQUIRE_QEMU=1`, fails) when the machine cannot run the test.
    static func checkPrerequisites() throws {
        var missing: [String] = []
        if getuid() != 0 { missing.append("root (qemu:///system and its libvirtd)") }
        for tool in tools where !FileManager.default.fileExists(atPath: tool.path) {
            missing.append("\(tool.path) (\(tool.package))")
        }
        guard !missing.isEmpty else { return }
        let message = "QEMU/TCG guest test needs: " + missing.joined(separator: ", ")
            + " (bash scripts/install-test-deps.sh installs the packages)"
        if ProcessInfo.processInfo.environment[requireVariable] == "1" {
            throw QEMUGuestError.image(message + "; \(requireVariable)=1, so this fails instead of skipping")
        }
        throw XCTSkip(message)
    }

    init() throws {
        try Self.checkPrerequisites()
        let build = try Self.script("build-guest.sh", [], timeoutSeconds: Self.buildTimeoutSeconds)
        guard let directory = build.split(whereSeparator: \.isNewline).last else {
            throw QEMUGuestError.image("build-guest.sh printed no directory")
        }
        image = try QEMUGuestImage(directory: URL(fileURLWithPath: String(directory)))
        stateDirectory = URL(fileURLWithPath: "/tmp/visag-qemu-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        let daemon = try Self.script("libvirtd.sh", ["start", stateDirectory.path],
                                     timeoutSeconds: Self.daemonTimeoutSeconds)
        startedDaemon = daemon.hasPrefix("started")
        do {
            connection = try LibvirtConnection(uri: Self.uri)
        } catch {
            Self.stopDaemon(stateDirectory, started: startedDaemon)
            throw error
        }
    }

    /// Defines, boots and snapshots a worker; refuses to touch a domain of that name that the test did not make.
    func makeWorker(_ guest: GuestTarget, channel: QEMUGuestChannel, memoryMiB: Int,
                    bootTimeoutSeconds: Double) throws -> LibvirtDomain {
        if (try? connection.lookupDomain(name: guest.domainName)) != nil {
            throw QEMUGuestError.image("\(Self.uri) already has a domain \(guest.domainName): not touching it")
        }
        let worker = QEMUWorkerDomain(guest: guest, image: image, directory: stateDirectory,
                                      hostPort: channel.hostPort, memoryMiB: memoryMiB)
        let domain = try worker.create(in: connection, channel: channel, bootTimeoutSeconds: bootTimeoutSeconds)
        domains.append((worker, domain))
        return domain
    }

    func consoleLog(of guest: GuestTarget) -> String {
        let path = stateDirectory.appendingPathComponent("\(guest.domainName).console.log").path
        return (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    func tearDown() {
        for (worker, domain) in domains.reversed() {
            do { try worker.remove(domain) } catch { print("could not remove \(domain.name): \(error)") }
        }
        domains.removeAll()
        connection.close()
        Self.stopDaemon(stateDirectory, started: startedDaemon)
        try? FileManager.default.removeItem(at: stateDirectory)
    }

    private static func stopDaemon(_ state: URL, started: Bool) {
        guard started else { return }
        _ = try? script("libvirtd.sh", ["stop", state.path], timeoutSeconds: daemonTimeoutSeconds)
    }

    /// Runs one of `scripts/tcg-guest/`; its standard output, trimmed. Throws with its error output on failure.
    static func script(_ name: String, _ arguments: [String], timeoutSeconds: Double) throws -> String {
        let path = scripts.appendingPathComponent(name).path
        let result = try HostCommand.run("/bin/bash", [path] + arguments, timeoutSeconds: timeoutSeconds)
        guard result.succeeded else {
            throw QEMUGuestError.command("\(name) \(arguments.joined(separator: " ")) failed"
                + (result.timedOut ? " (timed out)" : " (exit \(result.status))") + ": \(result.stderrTail)")
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A TCP port nobody listens on at any of `addresses` (each worker's forward binds its own address).
    static func freePort(on addresses: [GuestAddress]) throws -> UInt16 {
        for _ in 0..<50 {
            let port = UInt16.random(in: 20_000...40_000)
            if addresses.allSatisfy({ canBind($0, port: port) }) { return port }
        }
        throw QEMUGuestError.image("found no free port for the workers' forwards")
    }

    private static func canBind(_ address: GuestAddress, port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = address.raw.bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
