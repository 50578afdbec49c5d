@testable import Bench
import Foundation
import XCTest

/// Shared by the matrix tests: the built `visag` executable (the workers are its hidden
/// `bench matrix-worker` command) and small deterministic inputs.
enum MatrixTestSupport {
    /// `swift test` builds every product next to the test bundle.
    static func launcher(file: StaticString = #filePath, line: UInt = #line) throws -> WorkerLauncher {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("visag").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("visag").path,
        ]
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            XCTFail("the visag executable was not built next to the tests (looked in \(candidates))", file: file, line: line)
            throw XCTSkip("no visag executable")
        }
        return WorkerLauncher(executable: path)
    }

    static func inputs(size n: Int) throws -> (a: DenseMatrix, b: DenseMatrix, reference: DenseMatrix) {
        let a = try DenseMatrix(rows: n, columns: n)
        let b = try DenseMatrix(rows: n, columns: n)
        a.fillRandom(seed: 1)
        b.fillRandom(seed: 2)
        let reference = try DenseMatrix(rows: n, columns: n)
        try reference.setProduct(a, b)
        return (a, b, reference)
    }

    /// Whether a process with this id still exists (reaped processes do not).
    static func isAlive(_ pid: pid_t) -> Bool { kill(pid, 0) == 0 }

    /// A connected pair of plain channels, for protocol tests without processes.
    static func channelPair() throws -> (SocketChannel, SocketChannel) {
        var fds: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else { throw XCTSkip("socketpair failed") }
        return (SocketChannel(fd: fds[0], label: "left"), SocketChannel(fd: fds[1], label: "right"))
    }
}
