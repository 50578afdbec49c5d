import Foundation
import XCTest

/// A one-host Slurm cluster in a temporary folder, started and stopped by `scripts/slurm/cluster.sh`. Clients
/// reach it, and no other, through `SLURM_CONF`. Without root or Debian's slurmctld, slurmd, slurm-client and
/// munge the tests that need it skip, unless `VISAG_REQUIRE_SLURM=1` (CI) makes that a failure.
final class SlurmTestCluster {
    static let requireVariable = "VISAG_REQUIRE_SLURM"
    static let script = "scripts/slurm/cluster.sh"
    static let tools = ["/usr/sbin/munged", "/usr/sbin/mungekey", "/usr/sbin/slurmctld", "/usr/sbin/slurmd",
                        "/usr/bin/sinfo", "/usr/bin/sbatch", "/usr/bin/scontrol", "/usr/bin/scancel"]

    static var required: Bool { ProcessInfo.processInfo.environment[requireVariable] == "1" }

    /// What this machine lacks to run the cluster; empty when it can.
    static var missing: [String] {
        (getuid() == 0 ? [] : ["root"]) + tools.filter { !FileManager.default.isExecutableFile(atPath: $0) }
    }

    let state: URL
    let conf: String
    var environment: [String: String] { ["SLURM_CONF": conf] }

    /// Starts the daemons (about a second); the caller must `stop()` it.
    init() throws {
        state = FileManager.default.temporaryDirectory.appendingPathComponent("visag-slurm-\(UUID().uuidString)")
        let result = try VisagCLI.run([Self.script, "start", state.path], launcher: URL(fileURLWithPath: "/bin/bash"))
        guard result.status == 0, let line = result.stdout.split(separator: "\n").last(where: { $0.hasPrefix("SLURM_CONF=") })
        else {
            _ = try? VisagCLI.run([Self.script, "stop", state.path], launcher: URL(fileURLWithPath: "/bin/bash"))
            try? FileManager.default.removeItem(at: state)
            throw ClusterError(message: "\(Self.script) start failed (exit \(result.status)): \(result.stderr)")
        }
        conf = String(line.dropFirst("SLURM_CONF=".count))
    }

    func stop() {
        _ = try? VisagCLI.run([Self.script, "stop", state.path], launcher: URL(fileURLWithPath: "/bin/bash"))
        try? FileManager.default.removeItem(at: state)
    }

    struct ClusterError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// A Slurm client command (`scontrol`, `scancel`) against this cluster.
    @discardableResult
    func client(_ program: String, _ arguments: [String]) throws -> VisagCLI.Result {
        try VisagCLI.run(arguments, launcher: URL(fileURLWithPath: "/usr/bin/\(program)"), environment: environment)
    }

    /// `visag arguments…` with this cluster's `SLURM_CONF`.
    func visag(_ arguments: [String]) throws -> VisagCLI.Result {
        try VisagCLI.run(arguments, environment: environment)
    }

    /// The job's state (`COMPLETED`, `FAILED`, `CANCELLED`, …) once it has ended; fails after `timeoutSeconds`.
    func waitForEnd(of job: String, timeoutSeconds: Double = 60) throws -> String {
        let ended = ["COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
                     "PREEMPTED"]
        return try waitFor(job, timeoutSeconds: timeoutSeconds) { ended.contains($0.state) }.state
    }

    /// Waits until Slurm holds the job pending because its dependency can never be met.
    func waitForNeverSatisfied(_ job: String, timeoutSeconds: Double = 60) throws {
        _ = try waitFor(job, timeoutSeconds: timeoutSeconds) { $0.state == "PENDING" && $0.reason == "DependencyNeverSatisfied" }
    }

    /// Polls `scontrol -o show job` (one job, or one array task) until `done` holds.
    func waitFor(_ job: String, timeoutSeconds: Double,
                 until done: ((state: String, reason: String)) -> Bool) throws -> (state: String, reason: String) {
        let deadline = Date().addingTimeInterval(timeoutSeconds)
        var last = (state: "", reason: "")
        while Date() < deadline {
            let shown = try client("scontrol", ["-o", "show", "job", job])
            let fields = shown.stdout.split(whereSeparator: \.isWhitespace)
            func value(_ key: String) -> String {
                fields.first { $0.hasPrefix(key + "=") }.map { String($0.dropFirst(key.count + 1)) } ?? ""
            }
            last = (value("JobState"), value("Reason"))
            if done(last) { return last }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw ClusterError(message: "job \(job) did not get there within \(timeoutSeconds) s (last: \(last.state) \(last.reason))")
    }
}
