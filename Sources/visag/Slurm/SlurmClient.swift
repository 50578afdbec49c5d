import Foundation
import Sim

/// Slurm's own client programs (`sbatch`, `scontrol`, `scancel`), found on PATH and run to completion. visag
/// keeps no job protocol of its own: everything it asks of the cluster goes through these.
enum SlurmClient {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String

        /// Standard error on one line, for a message.
        var stderrLine: String {
            stderr.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty }.joined(separator: " | ")
        }
    }

    /// The program's path from PATH, or nil.
    static func find(_ program: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        for folder in path.split(separator: ":") where !folder.isEmpty {
            let candidate = "\(folder)/\(program)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs `program` (from PATH) with standard input from /dev/null.
    static func run(_ program: String, _ arguments: [String]) throws -> Result {
        guard let executable = find(program) else {
            throw CLIError.badInput("\(program) is not on PATH: run this where Slurm's client commands are installed")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        do {
            try process.run()
        } catch {
            throw CLIError.runFailed("\(executable) did not start: \(error.localizedDescription)")
        }
        // Standard error is read on another thread so neither pipe can fill and stall the program.
        let errors = Locked(Data())
        let errorsRead = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            let data = err.fileHandleForReading.readDataToEndOfFile()
            errors.withLock { $0 = data }
            errorsRead.signal()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errors.withLock { $0 }, as: UTF8.self))
    }
}
