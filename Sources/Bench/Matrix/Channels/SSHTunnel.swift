#if canImport(Glibc)
import Glibc
#endif

/// One worker's SSH tunnel: an `ssh -tt -L` client (under a guard) logged in to the run's sshd,
/// forwarding a Unix socket in the run's directory to the worker's 127.0.0.1 port.
///
/// Why this shape (measured on this machine): a plain `ssh -N -L` tunnel stalls ~40 ms on every
/// frame that is written as a header and a payload, because neither ssh nor sshd sets
/// TCP_NODELAY on a session without a pty and the second write waits for a delayed ACK. A
/// session with a pty (`-tt`) marks the connection interactive on both ends (TCP_NODELAY); the
/// forwarded stream itself does not go through the pty, so bytes pass unaltered and at the
/// cipher's speed.
final class SSHTunnel: @unchecked Sendable {
    // `@unchecked Sendable`: both properties are set in `init` and never changed.
    static let readyMarker = "VISAG-TUNNEL-READY"

    let socketPath: String
    let client: ChildProcess

    /// Starts the client; `waitUntilReady` then blocks until the forward is listening.
    init(server: SSHServer, workerPort: UInt16, name: String, launcher: WorkerLauncher) throws {
        socketPath = server.directory.file("\(name).sock")
        client = try ChildProcess(
            name: "ssh tunnel \(name)",
            arguments: launcher.guarded(server.tunnelCommand(socketPath: socketPath, workerPort: workerPort, logName: "\(name).log")),
            stdin: .pipe, stdout: .pipe, stderr: .file(server.directory.file("\(name).log")))
    }

    /// Waits for the remote marker (printed only after login, and ssh sets up `-L` forwards before
    /// it opens the session), then connects to the forward.
    func connect(timeoutSeconds: Double = 20) throws -> SocketChannel {
        do {
            _ = try client.readStdout(until: Self.readyMarker, timeoutSeconds: timeoutSeconds)
        } catch let error as MatrixBenchError {
            let log = SSHServer.tail(socketPath.replacingSuffix(".sock", with: ".log"))
            throw MatrixBenchError.failed(error.description + (log.isEmpty ? "" : " (ssh: \(log))"))
        }
        // stdout stays open until teardown: a closed pipe would kill ssh with SIGPIPE if the
        // session ever printed again.
        var lastError: any Error = MatrixBenchError.failed("no attempt")
        for _ in 0..<200 {
            do {
                return SocketChannel(fd: try LoopbackSocket.connect(unixPath: socketPath), label: client.name)
            } catch {
                lastError = error
                usleep(5_000)
            }
        }
        throw lastError
    }
}

extension String {
    fileprivate func replacingSuffix(_ suffix: String, with replacement: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) + replacement : self
    }
}
