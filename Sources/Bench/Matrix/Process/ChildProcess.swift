import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// A process started with posix_spawn, with the pipes the benchmark needs and nothing else
/// inherited: every descriptor the benchmark opens is close-on-exec, so a worker never holds
/// another worker's socket open.
///
/// Foundation.Process is not used because its reaping runs on its own thread; the benchmark
/// reaps its children itself, with deadlines, also from the SIGINT path.
final class ChildProcess: @unchecked Sendable {
    // `@unchecked Sendable`: `pid` and `name` are immutable; the reaping state and the pipe
    // descriptors change only under their locks (the SIGINT path may end a child while the main
    // thread is waiting on it).
    let pid: pid_t
    let name: String
    /// Ended after every other process in a clean-up (sshd: its sessions must close while it
    /// can still reap them).
    let endsLast: Bool
    private let state = Locked<(reaped: Bool, status: Int32)>((false, 0))
    /// Write end of the child's stdin and read end of its stdout, -1 once closed. Closing stdin
    /// tells a visag child (worker or guard) that the coordinator is gone.
    private let pipes: Locked<(stdin: Int32, stdout: Int32)>
    private var stdinFD: Int32 { pipes.withLock { $0.stdin } }
    private var stdoutFD: Int32 { pipes.withLock { $0.stdout } }

    enum Input {
        case pipe
        case inherit
        case null
    }

    enum Output {
        case inherit
        case pipe
        case file(String)
        case null
    }

    /// Spawns `arguments[0]` (an absolute path) with `environment` added to this process's.
    init(name: String, arguments: [String], environment: [String: String] = [:],
         stdin input: Input = .pipe, stdout: Output = .pipe, stderr: Output = .inherit, endsLast: Bool = false) throws {
        let stdin = input == .pipe
        self.endsLast = endsLast
        precondition(!arguments.isEmpty)
        self.name = name
        var inPipe: [Int32] = [-1, -1]
        var outPipe: [Int32] = [-1, -1]
        if stdin, !Self.makePipe(&inPipe) { throw Self.error("pipe for \(name)") }
        if case .pipe = stdout, !Self.makePipe(&outPipe) {
            if stdin { close(inPipe[0]); close(inPipe[1]) }
            throw Self.error("pipe for \(name)")
        }
        defer {
            if inPipe[0] >= 0 { close(inPipe[0]) }
            if outPipe[1] >= 0 { close(outPipe[1]) }
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        switch input {
        case .pipe: posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        case .inherit: break
        case .null: posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        Self.route(stdout, fd: 1, pipeWriteEnd: outPipe[1], actions: &actions)
        Self.route(stderr, fd: 2, pipeWriteEnd: -1, actions: &actions)

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // The coordinator ignores SIGPIPE (and SIGINT while it cleans up); ignored signals survive
        // exec, so children get the defaults back and an empty mask.
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        let argv = arguments.map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var newPID: pid_t = 0
        let result = posix_spawn(&newPID, arguments[0], &actions, &attributes, argv, envp)
        if result != 0 {
            if stdin { close(inPipe[1]) }
            if outPipe[0] >= 0 { close(outPipe[0]) }
            throw MatrixBenchError.failed("cannot start \(name) (\(arguments[0])): \(String(cString: strerror(result)))")
        }
        pid = newPID
        pipes = Locked((stdin ? inPipe[1] : -1, outPipe[0]))
        if stdin { inPipe[1] = -1 }
        outPipe[0] = -1
        CleanupRegistry.shared.register(self)
    }

    /// A close-on-exec pipe. Glibc's Swift module has no pipe2; the flag is set right after,
    /// and the benchmark spawns from one thread only, so no spawn can slip in between.
    private static func makePipe(_ fds: inout [Int32]) -> Bool {
        guard pipe(&fds) == 0 else { return false }
        for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return true
    }

    private static func route(_ output: Output, fd: Int32, pipeWriteEnd: Int32,
                              actions: inout posix_spawn_file_actions_t) {
        switch output {
        case .inherit: break
        case .pipe: posix_spawn_file_actions_adddup2(&actions, pipeWriteEnd, fd)
        case .file(let path): posix_spawn_file_actions_addopen(&actions, fd, path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        case .null: posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", O_WRONLY, 0)
        }
    }

    static func error(_ what: String) -> MatrixBenchError {
        .failed("\(what): \(String(cString: strerror(errno)))")
    }

    /// Writes all of `bytes` to the child's stdin.
    func writeStdin(_ bytes: [UInt8]) throws {
        let stdinFD = self.stdinFD
        guard stdinFD >= 0 else { throw MatrixBenchError.failed("\(name) has no stdin pipe") }
        try bytes.withUnsafeBytes { try FileDescriptorIO.writeAll(stdinFD, $0, what: "\(name) stdin") }
    }

    func closeStdin() {
        pipes.withLock { pipes in
            if pipes.stdin >= 0 { close(pipes.stdin) }
            pipes.stdin = -1
        }
    }

    func closeStdout() {
        pipes.withLock { pipes in
            if pipes.stdout >= 0 { close(pipes.stdout) }
            pipes.stdout = -1
        }
    }

    /// Reads the child's stdout until `marker` has appeared (returns what came before it and the
    /// line it ends), the child closes stdout, or `timeoutSeconds` pass.
    func readStdout(until marker: String, timeoutSeconds: Double) throws -> String {
        let stdoutFD = self.stdoutFD
        guard stdoutFD >= 0 else { throw MatrixBenchError.failed("\(name) has no stdout pipe") }
        let deadline = MonotonicClock.nowSeconds() + timeoutSeconds
        var collected: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let text = String(decoding: collected, as: UTF8.self)
            if let range = text.range(of: marker), text[range.upperBound...].contains("\n") {
                return text
            }
            let remaining = deadline - MonotonicClock.nowSeconds()
            guard remaining > 0 else {
                throw MatrixBenchError.failed("\(name) did not report ready within \(timeoutSeconds) s"
                                              + Self.excerpt(collected))
            }
            var poller = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining, 1) * 1000) + 1)
            if ready < 0 {
                if errno == EINTR { continue }
                throw Self.error("poll on \(name)")
            }
            if ready == 0 { continue }
            let count = chunk.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw Self.error("reading \(name)")
            }
            if count == 0 {
                let status = waitForExit(timeoutSeconds: 1).map { " (\($0))" } ?? ""
                throw MatrixBenchError.failed("\(name) exited before reporting ready\(status)" + Self.excerpt(collected))
            }
            collected.append(contentsOf: chunk[0..<count])
        }
    }

    private static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.suffix(400), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.isEmpty ? "" : ": \(text)"
    }

    /// Whether the child is still running (reaps it if it has exited).
    var isRunning: Bool { waitForExit(timeoutSeconds: 0) == nil }

    /// Waits up to `timeoutSeconds` for the child to exit; returns how it ended, or nil if it
    /// is still running.
    @discardableResult
    func waitForExit(timeoutSeconds: Double) -> String? {
        let deadline = MonotonicClock.nowSeconds() + timeoutSeconds
        while true {
            let done: String? = state.withLock { state in
                if state.reaped { return Self.describe(state.status) }
                var status: Int32 = 0
                let result = waitpid(pid, &status, WNOHANG)
                if result == pid || (result < 0 && errno == ECHILD) {
                    state = (true, status)
                    return Self.describe(status)
                }
                return nil
            }
            if let done { return done }
            if MonotonicClock.nowSeconds() >= deadline { return nil }
            usleep(2_000)
        }
    }

    /// Ends the child: closes its stdin (a visag child exits on that), then SIGTERM, then
    /// SIGKILL, each after a short grace period. Always reaps it.
    func terminate(graceSeconds: Double = 2) {
        defer { CleanupRegistry.shared.unregister(self) }
        closeStdin()
        closeStdout()
        if waitForExit(timeoutSeconds: 0) != nil { return }
        kill(pid, SIGTERM)
        if waitForExit(timeoutSeconds: graceSeconds) != nil { return }
        kill(pid, SIGKILL)
        waitForExit(timeoutSeconds: 10)
    }

    /// The exit status once the child has been reaped (128 + signal if a signal ended it).
    var exitStatus: Int32? {
        state.withLock { state in
            guard state.reaped else { return nil }
            let signal = state.status & 0x7f
            return signal == 0 ? (state.status >> 8) & 0xff : 128 + signal
        }
    }

    private static func describe(_ status: Int32) -> String {
        let signal = status & 0x7f
        if signal == 0 { return "exit status \((status >> 8) & 0xff)" }
        return "killed by signal \(signal)"
    }
}
