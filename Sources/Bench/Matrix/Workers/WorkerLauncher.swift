#if canImport(Glibc)
import Glibc
#endif

/// How the coordinator starts visag child processes: the `visag` executable (the running one
/// for the CLI, the built product in tests) and its hidden `bench matrix-worker` command.
public struct WorkerLauncher: Sendable {
    public let executable: String

    public init(executable: String) { self.executable = executable }

    /// The running executable, as the kernel knows it (symlinks resolved).
    public static func currentExecutable() -> WorkerLauncher {
        let path = (try? RealPath.resolve("/proc/self/exe")) ?? CommandLine.arguments[0]
        return WorkerLauncher(executable: path)
    }

    /// Workers compute on one thread: OpenBLAS then starts no thread pool at load.
    var workerEnvironment: [String: String] { ["OPENBLAS_NUM_THREADS": "1"] }

    /// `address`: the worker VM's loopback address to listen on (nil: 127.0.0.1).
    func worker(channel: MatrixWorker.ChannelKind, address: String? = nil) -> [String] {
        [executable, "bench", "matrix-worker", "--channel", channel.rawValue] + (address.map { ["--address", $0] } ?? [])
    }

    /// `program` under a guard that ends it when the coordinator goes away.
    func guarded(_ program: [String]) -> [String] {
        [executable, "bench", "matrix-worker", "--guard", "--"] + program
    }
}

/// `realpath(3)`: the absolute path with every symbolic link resolved.
enum RealPath {
    static func resolve(_ path: String) throws -> String {
        guard let resolved = realpath(path, nil) else { throw ChildProcess.error("resolving \(path)") }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
