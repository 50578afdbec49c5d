@testable import Bench
import Foundation
import XCTest

/// The distributed product over every channel, with real worker processes.
final class DistributedProductTests: XCTestCase {
    func testStandardProductEqualsTheReference() throws { try checkProduct(mode: .standard) }
    func testSecureTLSProductEqualsTheReference() throws { try checkProduct(mode: .secure) }

    func testSecureSSHProductEqualsTheReference() throws {
        if let reason = SSHServer.unavailableReason() { throw XCTSkip("secure-ssh needs OpenSSH: \(reason)") }
        try checkProduct(mode: .secureSSH)
    }

    private func checkProduct(mode: MatrixMode, size n: Int = 96, workers: Int = 3) throws {
        let launcher = try MatrixTestSupport.launcher()
        let credentials = mode == .secure ? try TLSRunCredentials.generate() : nil
        let ssh = mode == .secureSSH ? try SSHServer(launcher: launcher) : nil
        let sshDirectory = ssh?.directory.path
        defer { ssh?.stop() }
        let group = try WorkerGroup.start(mode: mode, count: workers, launcher: launcher, credentials: credentials, ssh: ssh)
        let pids = group.processIDs
        XCTAssertEqual(group.channels.count, workers)
        let (a, b, reference) = try MatrixTestSupport.inputs(size: n)
        let c = try DenseMatrix(rows: n, columns: n)
        for _ in 0..<2 {
            c.storage.update(repeating: .nan, count: c.count)
            let timing = try DistributedProduct.multiply(a, b, into: c, over: group)
            XCTAssertLessThanOrEqual(c.maxAbsDifference(reference), MatrixBenchmarkResult.toleranceFactor * Double(n))
            XCTAssertGreaterThan(timing.totalSeconds, 0)
            XCTAssertLessThanOrEqual(timing.computeSeconds, timing.totalSeconds)
        }
        group.shutdown()
        ssh?.stop()
        for pid in pids { XCTAssertFalse(MatrixTestSupport.isAlive(pid), "process \(pid) outlived its group") }
        if let sshDirectory { XCTAssertFalse(FileManager.default.fileExists(atPath: sshDirectory)) }
        XCTAssertTrue(CleanupRegistry.shared.liveProcessIDs.isEmpty)
    }

    func testMoreWorkersThanRowsLeavesTheExtraOnesIdle() throws {
        let launcher = try MatrixTestSupport.launcher()
        let group = try WorkerGroup.start(mode: .standard, count: 4, launcher: launcher, credentials: nil, ssh: nil)
        defer { group.shutdown() }
        let (a, b, reference) = try MatrixTestSupport.inputs(size: 3)
        let c = try DenseMatrix(rows: 3, columns: 3)
        _ = try DistributedProduct.multiply(a, b, into: c, over: group)
        XCTAssertLessThanOrEqual(c.maxAbsDifference(reference), 1e-12)
    }

    func testAWorkerThatDiesIsAnErrorAndNothingLeaks() throws {
        let launcher = try MatrixTestSupport.launcher()
        let group = try WorkerGroup.start(mode: .standard, count: 2, launcher: launcher, credentials: nil, ssh: nil)
        let pids = group.processIDs
        kill(pids[1], SIGKILL)
        let (a, b, _) = try MatrixTestSupport.inputs(size: 64)
        let c = try DenseMatrix(rows: 64, columns: 64)
        XCTAssertThrowsError(try DistributedProduct.multiply(a, b, into: c, over: group))
        group.shutdown()
        for pid in pids { XCTAssertFalse(MatrixTestSupport.isAlive(pid)) }
    }

    func testRowBlocksCoverEveryRowOnce() {
        XCTAssertEqual(DistributedProduct.rowBlocks(size: 10, workers: 3), [0..<4, 4..<7, 7..<10])
        XCTAssertEqual(DistributedProduct.rowBlocks(size: 2, workers: 5), [0..<1, 1..<2])
        XCTAssertEqual(DistributedProduct.unionLength([(0, 2), (1, 3), (5, 6)]), 4, accuracy: 1e-12)
    }
}
