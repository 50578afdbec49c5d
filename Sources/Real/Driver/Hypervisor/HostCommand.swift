import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// A host program run to completion with a hard deadline: the guest channel's `ssh` calls, `qemu-img`. A command
/// that outlives its deadline gets SIGTERM, then SIGKILL a second later, so no caller waits longer than the
/// deadline plus that second.
enum HostCommand {
    struct Result: Sendable {
        let status: Int32
        let stdout: String
        let stderr: String
        let timedOut: Bool

        var succeeded: Bool { status == 0 && !timedOut }

        /// The last few lines of standard error, on one line, for an error message.
        var stderrTail: String {
            stderr.split(whereSeparator: \.isNewline).suffix(3).joined(separator: " | ")
        }
    }

    /// How long a command that ignored SIGTERM gets before SIGKILL.
    static let killGraceSeconds = 1.0

    /// Runs with standard input from /dev/null. Output goes to temporary files, not pipes: a command may leave a
    /// daemon behind (libvirtd) that inherits its descriptors, and a pipe would then never reach end of file.
    static func run(_ executable: String, _ arguments: [String], timeoutSeconds: Double) throws -> Result {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("visag-cmd-\(UUID().uuidString)")
        let outPath = base.path + ".out"
        let errPath = base.path + ".err"
        defer {
            try? FileManager.default.removeItem(atPath: outPath)
            try? FileManager.default.removeItem(atPath: errPath)
        }
        guard FileManager.default.createFile(atPath: outPath, contents: nil),
              FileManager.default.createFile(atPath: errPath, contents: nil),
              let stdout = FileHandle(forWritingAtPath: outPath), let stderr = FileHandle(forWritingAtPath: errPath)
        else { throw QEMUGuestError.command("could not create output files for \(executable)") }
        defer {
            try? stdout.close()
            try? stderr.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        try process.run()

        let timedOut = Locked(false)
        let deadline = DispatchWorkItem {
            guard process.isRunning else { return }
            timedOut.withLock { $0 = true }
            process.terminate()
            DispatchQueue.global().asyncAfter(deadline: .now() + killGraceSeconds) {
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            }
        }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeoutSeconds, execute: deadline)
        process.waitUntilExit()
        deadline.cancel()
        let output = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let errors = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return Result(status: process.terminationStatus, stdout: output, stderr: errors,
                      timedOut: timedOut.withLock { $0 })
    }
}
