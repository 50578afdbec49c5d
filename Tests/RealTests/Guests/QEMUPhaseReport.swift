import Foundation
import Model
@testable import Real

/// The QEMU/TCG test's measurements, one line per phase (count, minimum, median and maximum wall seconds),
/// printed so that a CI log shows them.
struct PhaseReport {
    let bootSeconds: Double
    let result: RealRunResult
    let channel: QEMUGuestChannel
    let objects: [SSHObjectRunner.ObjectRecord]
    let timeScale: Double
    let cycles: [(revert: Double, ready: Double)]

    var rows: [(phase: String, seconds: [Double])] {
        let reverts = result.hypervisorCalls.filter { $0.operation == "revert" }.map(\.wallSeconds)
        func guestCalls(_ operation: String) -> [Double] {
            channel.timings.filter { $0.operation == operation }.map(\.wallSeconds)
        }
        let creation = (result.metrics.creationLatencyReady + result.metrics.creationLatencyPrepared)
            .map { $0 * timeScale }
        return [
            ("boot to SSH + popc_clean snapshot", [bootSeconds]),
            ("revert at start-up (Model)", Array(reverts.prefix(1))),
            ("read the address (first call after a revert)", guestCalls("read the address")),
            ("fetch the VM key", guestCalls("fetch the VM key")),
            ("write a key", guestCalls("write a key")),
            ("object launch (ssh to 'started')", objects.compactMap(\.launchWallSeconds)),
            ("object session (0.6 s compute)", objects.map(\.sessionWallSeconds)),
            ("object creation as Model saw it", creation),
            ("recycle: revert at application end", Array(reverts.dropFirst())),
            ("revert alone (extra cycles)", cycles.map(\.revert)),
            ("revert to ready-for-objects (extra cycles)", cycles.map(\.ready)),
        ]
    }

    func print() {
        Swift.print("QEMU/TCG guest phases (wall seconds):")
        for row in rows where !row.seconds.isEmpty {
            let sorted = row.seconds.sorted()
            let middle = sorted.count / 2
            let median = sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
            let line = row.phase.padding(toLength: 46, withPad: " ", startingAt: 0)
                + String(format: "n=%-3d min=%.3f median=%.3f max=%.3f", sorted.count, sorted[0], median,
                         sorted[sorted.count - 1])
            Swift.print("  " + line)
        }
    }
}
