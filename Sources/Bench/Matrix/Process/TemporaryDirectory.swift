import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// A private (0700) directory under /tmp for one run's throwaway files, removed with everything
/// in it by `remove()` or by the cleanup registry on failure or SIGINT.
///
/// /tmp rather than $TMPDIR: the SSH tunnels' Unix sockets live here and a socket path must fit
/// in 108 bytes.
///
/// `@unchecked Sendable`: `path` is immutable; `removed` changes, and the removal runs, only under
/// its lock.
final class TemporaryDirectory: @unchecked Sendable {
    let path: String
    private let removed = Locked(false)

    init(prefix: String) throws {
        var template = Array("/tmp/\(prefix)-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw ChildProcess.error("creating a temporary directory")
        }
        path = String(decoding: template.dropLast().map { UInt8(bitPattern: $0) }, as: UTF8.self)
        CleanupRegistry.shared.register(self)
    }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ text: String, to name: String, mode: mode_t = 0o600) throws {
        let target = file(name)
        guard FileManager.default.createFile(atPath: target, contents: Data(text.utf8), attributes: [.posixPermissions: Int(mode)]) else {
            throw MatrixBenchError.failed("cannot write \(target)")
        }
    }

    /// Removes the directory. A concurrent second call (the signal handler's clean-up racing the
    /// main thread's) returns only once the removal is complete, so exiting after it is safe.
    func remove() {
        removed.withLock { done in
            guard !done else { return }
            try? FileManager.default.removeItem(atPath: path)
            done = true
        }
        CleanupRegistry.shared.unregister(self)
    }
}
