import Foundation
import XCTest

/// A standalone ESX host for the tests: govmomi's vSphere API simulator (`scripts/esx-sim/main.go`, built from
/// Debian's packages) with one running worker VM per name, each holding `popc_clean`, behind
/// `scripts/esx-sim/soap-proxy.py`, which rewrites the simulator's SOAP into what libvirt's esx driver reads and logs
/// every method the host is asked for. Both listen on loopback ports they pick; both are stopped by `stop()` and
/// exit by themselves if the test process goes away.
final class ESXSimulatorHost {
    static let requireVariable = "VISAG_REQUIRE_ESX"
    static let username = "root"
    static let requiredPaths = [
        ("/usr/bin/go", "golang-go"),
        ("/usr/share/gocode/src/github.com/vmware/govmomi/simulator/model.go", "golang-github-vmware-govmomi-dev"),
        ("/usr/bin/python3", "python3"),
    ]
    static var repository: URL {
        PackagePaths.root
    }

    /// A VM as the host names it in SOAP calls.
    struct VM {
        let name: String
        let id: String
        let snapshotID: String
    }

    let password: String
    let vms: [String: VM]
    let uri: String
    private let simulator: SpawnedProcess
    private let proxy: SpawnedProcess
    private let directory: URL

    /// Skips (or, under `VISAG_REQUIRE_ESX=1`, fails) when the packages are missing.
    static func checkPrerequisites() throws {
        let missing = requiredPaths.filter { !FileManager.default.fileExists(atPath: $0.0) }
        guard !missing.isEmpty else { return }
        let message = "ESX simulator test needs: " + missing.map { "\($0.0) (\($0.1))" }.joined(separator: ", ")
            + " (bash scripts/install-test-deps.sh installs them)"
        if ProcessInfo.processInfo.environment[requireVariable] == "1" {
            throw ESXHostError(message + "; \(requireVariable)=1, so this fails instead of skipping")
        }
        throw XCTSkip(message)
    }

    init(workers: [String]) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("visag-esx-\(getpid())-\(UUID())")
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let callLog = directory.appendingPathComponent("calls.log")
        let password = "visag-\(getpid())"
        self.password = password
        let scripts = Self.repository.appendingPathComponent("scripts/esx-sim")

        let build = try SpawnedProcess(["/bin/bash", scripts.appendingPathComponent("build.sh").path],
                                       stdoutPath: directory.appendingPathComponent("build.out").path,
                                       stderrPath: directory.appendingPathComponent("build.err").path)
        guard build.wait() == 0 else {
            let message = "building esx-sim failed: " + Self.read(directory.appendingPathComponent("build.err"))
            try? FileManager.default.removeItem(at: directory)
            throw ESXHostError(message)
        }
        let binary = Self.read(directory.appendingPathComponent("build.out"))
            .trimmingCharacters(in: .whitespacesAndNewlines)

        let simulatorOut = directory.appendingPathComponent("simulator.out")
        let simulatorErr = directory.appendingPathComponent("simulator.err")
        let simulator = try SpawnedProcess([binary, "-user", Self.username, "-password", password] + workers,
                                       stdoutPath: simulatorOut.path, stderrPath: simulatorErr.path)
        var proxyProcess: SpawnedProcess?
        do {
            let lines = try Self.waitForReady(simulatorOut, errors: simulatorErr, process: simulator, what: "esx-sim")
            var found: [String: VM] = [:]
            for line in lines where line.hasPrefix("vm ") {
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count == 4 else { throw ESXHostError("esx-sim printed \(line)") }
                found[fields[1]] = VM(name: fields[1], id: fields[2], snapshotID: fields[3])
            }
            vms = found
            let simulatorAddress = try Self.address(in: lines)
            let port = simulatorAddress.split(separator: ":").last.map(String.init) ?? ""

            let proxyOut = directory.appendingPathComponent("proxy.out")
            let proxyErr = directory.appendingPathComponent("proxy.err")
            let started = try SpawnedProcess(
                ["/usr/bin/python3", scripts.appendingPathComponent("soap-proxy.py").path, port, callLog.path],
                stdoutPath: proxyOut.path, stderrPath: proxyErr.path)
            proxyProcess = started
            let proxyAddress = try Self.address(
                in: try Self.waitForReady(proxyOut, errors: proxyErr, process: started, what: "soap-proxy"))
            uri = "esx://\(Self.username)@\(proxyAddress)/?transport=http&no_verify=1"
            proxy = started
            self.simulator = simulator
        } catch {
            proxyProcess?.terminate()
            simulator.terminate()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
    }

    private var callLog: URL { directory.appendingPathComponent("calls.log") }

    /// Every SOAP method the host was asked for, with the object it was called on, in order.
    func calls() -> [(method: String, object: String)] {
        Self.read(callLog).split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 1).map(String.init)
            return fields.count == 2 ? (fields[0], fields[1]) : nil
        }
    }

    /// The methods called on `vm` (or on its clean snapshot), in order.
    func methods(on vm: String) -> [String] {
        guard let ids = vms[vm] else { return [] }
        return calls().filter { $0.object == ids.id || $0.object == ids.snapshotID }.map(\.method)
    }

    func stop() {
        proxy.terminate()
        simulator.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    private static func read(_ url: URL) -> String {
        (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }

    private static func address(in lines: [String]) throws -> String {
        guard let ready = lines.last(where: { $0.hasPrefix("ready ") }) else { throw ESXHostError("no ready line") }
        return String(ready.dropFirst("ready ".count))
    }

    /// The process's output lines once it printed `ready`; fails if it exits first or takes over 30 s.
    private static func waitForReady(_ output: URL, errors: URL, process: SpawnedProcess, what: String) throws
        -> [String]
    {
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            let lines = read(output).split(separator: "\n").map(String.init)
            if lines.contains(where: { $0.hasPrefix("ready ") }) { return lines }
            guard process.isRunning else { throw ESXHostError("\(what) exited: \(read(errors))") }
            usleep(20_000)
        }
        throw ESXHostError("\(what) did not get ready in 30 s: \(read(errors))")
    }
}

struct ESXHostError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
