import Foundation

/// A child process started with posix_spawn, its output sent to files. Foundation's `Process` is not used for
/// these: on Linux it reaps children one at a time with a blocking `waitpid`, so a long-lived child (sshd) keeps
/// it from ever noticing that a short-lived one (ssh) has exited.
final class SpawnedProcess {
    let pid: pid_t
    private var exitStatus: Int32?

    /// Standard input is /dev/null; standard output and error go to `stdoutPath` and `stderrPath` (/dev/null if nil).
    init(_ arguments: [String], stdoutPath: String? = nil, stderrPath: String? = nil) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdoutPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, stderrPath ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, arguments[0], &actions, nil, &argv, environ)
        guard result == 0 else { throw SSHTestError("could not start \(arguments[0]): error \(result)") }
        pid = child
    }

    var isRunning: Bool {
        if exitStatus != nil { return false }
        var status: Int32 = 0
        let reaped = waitpid(pid, &status, WNOHANG)
        if reaped == pid { exitStatus = status }
        return reaped == 0
    }

    /// Waits for the exit and returns the exit code (128 + the signal when killed).
    @discardableResult
    func wait() -> Int32 {
        if exitStatus == nil {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0, errno == EINTR {}
            exitStatus = status
        }
        let status = exitStatus!
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }

    /// SIGTERM, then SIGKILL if it is still there after `graceSeconds`.
    func terminate(graceSeconds: Double = 2) {
        guard isRunning else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(graceSeconds)
        while isRunning, Date() < deadline { usleep(10_000) }
        if isRunning { kill(pid, SIGKILL) }
        wait()
    }
}
