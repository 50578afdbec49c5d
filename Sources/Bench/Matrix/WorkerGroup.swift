import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// w worker processes of one mode with an open channel to each: what the report's application
/// has once its parallel objects are created. Set-up (spawn, listen, connect, handshake or SSH
/// login) is timed as a whole: the report's "channel set-up".
///
/// `@unchecked Sendable`: the arrays are fixed after `start`; `shutdown()` runs on one thread
/// after every multiplication has joined.
final class WorkerGroup: @unchecked Sendable {
    let mode: MatrixMode
    let channels: [any ByteChannel]
    /// OpenBLAS core name each worker reported (they inherit the coordinator's environment).
    let kernels: [String]
    let setupSeconds: Double
    private let workers: [ChildProcess]
    private let tunnels: [SSHTunnel]
    private static let groupCounter = Locked(0)

    private init(mode: MatrixMode, channels: [any ByteChannel], kernels: [String], setupSeconds: Double,
                 workers: [ChildProcess], tunnels: [SSHTunnel]) {
        self.mode = mode
        self.channels = channels
        self.kernels = kernels
        self.setupSeconds = setupSeconds
        self.workers = workers
        self.tunnels = tunnels
    }

    /// Starts `count` workers reachable over `mode`'s channel. `credentials` is needed for
    /// `secure`, `ssh` for `secure-ssh`.
    static func start(mode: MatrixMode, count: Int, launcher: WorkerLauncher,
                      credentials: TLSRunCredentials?, ssh: SSHServer?) throws -> WorkerGroup {
        let started = MonotonicClock.nowSeconds()
        let group = groupCounter.withLock { counter in
            counter += 1
            return counter
        }
        var workers: [ChildProcess] = []
        var tunnels: [SSHTunnel] = []
        var channels: [any ByteChannel] = []
        do {
            let kind: MatrixWorker.ChannelKind = mode == .secure ? .tls : .tcp
            var identity: [UInt8] = []
            if mode == .secure {
                guard let credentials else { throw MatrixBenchError.failed("the secure mode needs TLS credentials") }
                identity = try credentials.worker.pem()
            }
            var prefix = withUnsafeBytes(of: UInt64(identity.count).littleEndian) { Array($0) }
            prefix += identity
            for index in 0..<count {
                let worker = try ChildProcess(name: "worker \(index + 1)", arguments: launcher.worker(channel: kind),
                                              environment: launcher.workerEnvironment, stdin: .pipe, stdout: .pipe, stderr: .inherit)
                workers.append(worker)
                try worker.writeStdin(prefix)
            }
            var ports: [UInt16] = []
            var kernels: [String] = []
            for worker in workers {
                let line = try worker.readStdout(until: MatrixWorker.readyMarker, timeoutSeconds: 30)
                let fields = Self.fields(of: line)
                guard let port = fields["port"].flatMap(UInt16.init) else {
                    throw MatrixBenchError.failed("\(worker.name) reported no port: \(line)")
                }
                ports.append(port)
                kernels.append(fields["kernel"] ?? "unknown")
                worker.closeStdout()
            }
            switch mode {
            case .standard:
                for (index, port) in ports.enumerated() {
                    channels.append(SocketChannel(fd: try LoopbackSocket.connect(port: port), label: "TCP to worker \(index + 1)"))
                }
            case .secure:
                let context = try TLSContext(identity: credentials!.coordinator, role: .client)
                for (index, port) in ports.enumerated() {
                    channels.append(try TLSChannel(fd: try LoopbackSocket.connect(port: port), context: context,
                                                   label: "TLS to worker \(index + 1)"))
                }
            case .secureSSH:
                guard let ssh else { throw MatrixBenchError.failed("the secure-ssh mode needs a running sshd") }
                // All logins start before any is waited for: they proceed in parallel.
                for (index, port) in ports.enumerated() {
                    tunnels.append(try SSHTunnel(server: ssh, workerPort: port, name: "g\(group)w\(index + 1)", launcher: launcher))
                }
                for tunnel in tunnels { channels.append(try tunnel.connect()) }
            case .virtual, .virtualSecure:
                throw MatrixBenchError.failed(mode.unavailableReason ?? "\(mode.rawValue) is not available")
            }
            return WorkerGroup(mode: mode, channels: channels, kernels: kernels,
                               setupSeconds: MonotonicClock.nowSeconds() - started, workers: workers, tunnels: tunnels)
        } catch {
            for channel in channels { channel.close() }
            CleanupRegistry.terminate(tunnels.map(\.client).reversed() + workers)
            for process in tunnels.map(\.client) + workers { CleanupRegistry.shared.unregister(process) }
            throw error
        }
    }

    /// Every process the group started (workers, then ssh clients under their guards).
    var processIDs: [pid_t] { workers.map(\.pid) + tunnels.map(\.client.pid) }

    /// "key=value key=value" after the marker.
    private static func fields(of line: String) -> [String: String] {
        var result: [String: String] = [:]
        let tail = line.components(separatedBy: MatrixWorker.readyMarker).last ?? ""
        for token in tail.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }) {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// Asks each worker to exit, closes every channel, and ends and reaps every process
    /// (tunnels first, so sshd's sessions close before the workers they lead to).
    func shutdown() {
        for channel in channels {
            try? Frame.send(.shutdown, rows: 0, columns: 0, payload: nil, on: channel)
            channel.close()
        }
        let processes = tunnels.map(\.client) + workers
        CleanupRegistry.terminate(processes)
        for process in processes { CleanupRegistry.shared.unregister(process) }
    }
}
