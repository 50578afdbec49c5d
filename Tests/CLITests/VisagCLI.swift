import Foundation

/// Runs the built `visag` executable from the package root, as a user would.
enum VisagCLI {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var binary: URL { Bundle.main.bundleURL.appendingPathComponent("visag") }

    /// `visag arguments…`, or `launcher arguments…` (a launcher such as setpriv that runs visag itself), with
    /// `environment` added to this process's.
    static func run(_ arguments: [String], launcher: URL? = nil, environment: [String: String] = [:]) throws -> Result {
        let process = Process()
        process.executableURL = launcher ?? binary
        process.arguments = arguments
        process.currentDirectoryURL = CLITests.packageRoot
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read stderr on another thread while stdout is read here, so neither pipe can fill and block the process.
        let errors = ErrorReader(err.fileHandleForReading)
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = errors.wait()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}

/// Reads a pipe to its end on a background queue.
private final class ErrorReader: @unchecked Sendable {
    // Written once by the reading queue before `done` is signalled; read after waiting on it.
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        DispatchQueue.global().async {
            self.data = handle.readDataToEndOfFile()
            self.done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
