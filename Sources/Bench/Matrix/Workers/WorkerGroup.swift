import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// w worker processes of one mode with an open channel to each: what the report's application
/// has once its parallel objects are created. Set-up (spawn, listen, connect, handshake or SSH
/// login) is timed as a whole: the report's "channel set-up". In the virtual modes each worker
/// runs "inside" a worker VM that Model prepared (`WorkerVMs`, timed before the set-up): it
/// listens on the VM's loopback address, and the group ends the application when it ends.
///
/// `@unchecked Sendable`: the arrays are fixed after `start`; `end()` and `shutdown()` run on one
/// thread after every multiplication has joined.
final class WorkerGroup: @unchecked Sendable {
    let mode: MatrixMode
    let channels: [any ByteChannel]
    /// OpenBLAS core name each worker reported (they inherit the coordinator's environment).
    let kernels: [String]
    let setupSeconds: Double
    /// The worker VMs the workers run in (virtual modes).
    let vms: WorkerVMs?
    private let workers: [ChildProcess]
    private let tunnels: [SSHTunnel]
    private var ended = false
    private static let groupCounter = Locked(0)

    private init(mode: MatrixMode, channels: [any ByteChannel], kernels: [String], setupSeconds: Double,
                 workers: [ChildProcess], tunnels: [SSHTunnel], vms: WorkerVMs?) {
        self.mode = mode
        self.channels = channels
        self.kernels = kernels
        self.setupSeconds = setupSeconds
        self.workers = workers
        self.tunnels = tunnels
        self.vms = vms
    }

    /// How one worker is started and reached.
    private struct Plan {
        var kind: MatrixWorker.ChannelKind
        /// Where it listens (host byte order, 127.0.0.0/8).
        var host: UInt32
        /// Its stdin blocks: identity PEM, then `authorized_keys`.
        var identity: [UInt8]
        var authorizedKeys: [UInt8]
    }

    /// Starts `count` workers reachable over `mode`'s channel. `credentials` is needed for
    /// `secure`, `ssh` for `secure-ssh`, `vms` (prepared for `count` objects) for the virtual
    /// modes, and `keyring` for `virtual-secure`. The group owns `vms` from here on.
    static func start(mode: MatrixMode, count: Int, launcher: WorkerLauncher, credentials: TLSRunCredentials?,
                      ssh: SSHServer?, vms: WorkerVMs? = nil, keyring: RoutedKeyring? = nil) throws -> WorkerGroup {
        let started = MonotonicClock.nowSeconds()
        let group = groupCounter.withLock { counter in
            counter += 1
            return counter
        }
        var workers: [ChildProcess] = []
        var tunnels: [SSHTunnel] = []
        var channels: [any ByteChannel] = []
        do {
            var routed: RoutedCredentials?
            if mode == .virtualSecure {
                guard let vms, let keyring else { throw MatrixBenchError.failed("the virtual-secure mode needs prepared VMs and a keyring") }
                routed = try RoutedCredentials(vms: vms, keyring: keyring)
            }
            let plans = try (0..<count).map { index in
                try plan(mode: mode, index: index, credentials: credentials, vms: vms, routed: routed)
            }
            let guests = vms?.guests
            for (index, plan) in plans.enumerated() {
                let address = plan.host == LoopbackSocket.localhost ? nil : LoopbackSocket.dotted(plan.host)
                // In a QEMU guest the worker is started over SSH; the session's stdin and stdout are its own.
                let arguments = try guests.map { try $0.workerSession(vms!.slots[index], channel: plan.kind) }
                    ?? launcher.worker(channel: plan.kind, address: address)
                let worker = try ChildProcess(name: "worker \(index + 1)", arguments: arguments,
                                              environment: launcher.workerEnvironment, stdin: .pipe, stdout: .pipe, stderr: .inherit)
                workers.append(worker)
                try worker.writeStdin(block(plan.identity) + block(plan.authorizedKeys))
            }
            var ports: [UInt16] = []
            var kernels: [String] = []
            for worker in workers {
                // Under TCG the guest loads the worker's ~170 MB of libraries on an emulated CPU.
                let line = try worker.readStdout(until: MatrixWorker.readyMarker, timeoutSeconds: guests == nil ? 30 : 120)
                let fields = Self.fields(of: line)
                guard let reported = fields["port"].flatMap(UInt16.init) else {
                    throw MatrixBenchError.failed("\(worker.name) reported no port: \(line)")
                }
                // A guest's worker listens on the image's port, reached through the host's forward.
                let port = guests?.workerHostPort ?? reported
                ports.append(port)
                kernels.append(fields["kernel"] ?? "unknown")
                worker.closeStdout()
            }
            // The objects run: Model hears of their launch before anything connects to them.
            vms?.objectsStarted(succeeded: true)
            switch mode {
            case .standard, .virtual:
                for (index, port) in ports.enumerated() {
                    channels.append(SocketChannel(fd: try LoopbackSocket.connect(host: plans[index].host, port: port),
                                                  label: "TCP to worker \(index + 1)"))
                }
            case .secure:
                let context = try TLSContext(identity: credentials!.coordinator, role: .client)
                for (index, port) in ports.enumerated() {
                    channels.append(try TLSChannel(fd: try LoopbackSocket.connect(port: port), context: context,
                                                   label: "TLS to worker \(index + 1)"))
                }
            case .virtualSecure:
                let routed = routed!
                for (index, port) in ports.enumerated() {
                    let context = try TLSContext(identity: routed.coordinator, pinned: TLSPinnedKeys([routed.workers[index].vmPublicKey]),
                                                 role: .client)
                    channels.append(try TLSChannel(fd: try LoopbackSocket.connect(host: plans[index].host, port: port), context: context,
                                                   label: "TLS to worker \(index + 1) at \(LoopbackSocket.dotted(plans[index].host))"))
                }
            case .secureSSH:
                guard let ssh else { throw MatrixBenchError.failed("the secure-ssh mode needs a running sshd") }
                // All logins start before any is waited for: they proceed in parallel.
                for (index, port) in ports.enumerated() {
                    tunnels.append(try SSHTunnel(server: ssh, workerPort: port, name: "g\(group)w\(index + 1)", launcher: launcher))
                }
                for tunnel in tunnels { channels.append(try tunnel.connect()) }
            }
            return WorkerGroup(mode: mode, channels: channels, kernels: kernels,
                               setupSeconds: MonotonicClock.nowSeconds() - started, workers: workers, tunnels: tunnels, vms: vms)
        } catch {
            for channel in channels { channel.close() }
            CleanupRegistry.terminate(tunnels.map(\.client).reversed() + workers)
            for process in tunnels.map(\.client) + workers { CleanupRegistry.shared.unregister(process) }
            vms?.abandon()
            throw error
        }
    }

    private static func plan(mode: MatrixMode, index: Int, credentials: TLSRunCredentials?, vms: WorkerVMs?,
                             routed: RoutedCredentials?) throws -> Plan {
        switch mode {
        case .standard, .secureSSH:
            return Plan(kind: .tcp, host: LoopbackSocket.localhost, identity: [], authorizedKeys: [])
        case .secure:
            guard let credentials else { throw MatrixBenchError.failed("the secure mode needs TLS credentials") }
            return Plan(kind: .tls, host: LoopbackSocket.localhost, identity: try credentials.worker.pem(), authorizedKeys: [])
        case .virtual:
            guard let vms else { throw MatrixBenchError.failed("the virtual mode needs prepared VMs") }
            return Plan(kind: .tcp, host: vms.slots[index].address.raw, identity: [], authorizedKeys: [])
        case .virtualSecure:
            let worker = routed!.workers[index]
            return Plan(kind: .tlsKeys, host: vms!.slots[index].address.raw, identity: try worker.identity.pem(),
                        authorizedKeys: Array(worker.authorizedKeys.utf8))
        }
    }

    /// A stdin block: u64 length (little-endian), then the bytes.
    static func block(_ bytes: [UInt8]) -> [UInt8] {
        withUnsafeBytes(of: UInt64(bytes.count).littleEndian) { Array($0) } + bytes
    }

    /// Every process the group started (workers, then ssh clients under their guards).
    var processIDs: [pid_t] { workers.map(\.pid) + tunnels.map(\.client.pid) }

    /// "key=value key=value" after the marker.
    static func fields(of line: String) -> [String: String] {
        var result: [String: String] = [:]
        let tail = line.components(separatedBy: MatrixWorker.readyMarker).last ?? ""
        for token in tail.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\r" }) {
            let parts = token.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    /// The application ends: the workers exit, then Model's ApplicationEnd recycles the VMs (in
    /// the virtual modes; nil otherwise). Throws if Model could not recycle them.
    func end() throws -> WorkerVMs.Recycle? {
        stopWorkers()
        guard let vms, !ended else { return nil }
        ended = true
        return try vms.release()
    }

    /// `end()` without waiting for Model, for failures: the driver stops and reverts every worker
    /// it touched. Safe after `end()`.
    func shutdown() {
        stopWorkers()
        if !ended { vms?.abandon() }
        ended = true
    }

    /// Asks each worker to exit, closes every channel, and ends and reaps every process
    /// (tunnels first, so sshd's sessions close before the workers they lead to). Safe twice.
    private func stopWorkers() {
        for channel in channels {
            try? Frame.send(.shutdown, rows: 0, columns: 0, payload: nil, on: channel)
            channel.close()
        }
        let processes = tunnels.map(\.client) + workers
        CleanupRegistry.terminate(processes)
        for process in processes { CleanupRegistry.shared.unregister(process) }
    }
}
