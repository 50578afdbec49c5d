import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file beside its final name and renames it into place, so a reader never sees a
/// half-written CSV or SVG, even if the run is interrupted.
enum AtomicFile {
    static func write(_ text: String, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).partial-\(getpid())").path
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8)) else {
            throw MatrixBenchError.failed("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else {
            let error = ChildProcess.error("renaming \(temporary) to \(path)")
            unlink(temporary)
            throw error
        }
    }
}
