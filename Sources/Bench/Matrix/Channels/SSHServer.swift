import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The secure-ssh mode's server: the system's OpenSSH `sshd`, started by the benchmark on
/// 127.0.0.1 with a free port, throwaway host and user keys and its own configuration, all in a
/// private temporary directory. It stands for the worker node's SSH daemon in POP-C++'s secure
/// build; the workers' streams reach it through one `ssh -tt -L` tunnel per worker (`SSHTunnel`).
///
/// `@unchecked Sendable`: every stored property is set in `init` and never changed; `stop()` is
/// safe to call twice.
final class SSHServer: @unchecked Sendable {
    static let sshdCandidates = ["/usr/sbin/sshd", "/usr/local/sbin/sshd", "/usr/bin/sshd"]
    static let sshCandidates = ["/usr/bin/ssh", "/usr/local/bin/ssh"]
    static let keygenCandidates = ["/usr/bin/ssh-keygen", "/usr/local/bin/ssh-keygen"]

    let directory: TemporaryDirectory
    let port: UInt16
    let userName: String
    /// Keys, configuration and listening socket ready, measured once per run.
    let startSeconds: Double
    let sshPath: String
    private let process: ChildProcess

    private static func find(_ candidates: [String]) -> String? {
        candidates.first { access($0, X_OK) == 0 }
    }

    /// Why the secure-ssh mode cannot run here, or nil if it can.
    static func unavailableReason() -> String? {
        var missing: [String] = []
        if find(sshdCandidates) == nil { missing.append("sshd (package openssh-server)") }
        if find(sshCandidates) == nil { missing.append("ssh (package openssh-client)") }
        if find(keygenCandidates) == nil { missing.append("ssh-keygen (package openssh-client)") }
        return missing.isEmpty ? nil : "OpenSSH is not installed: missing " + missing.joined(separator: ", ")
    }

    init(launcher: WorkerLauncher) throws {
        if let reason = Self.unavailableReason() { throw MatrixBenchError.failed(reason) }
        let started = MonotonicClock.nowSeconds()
        let sshd = Self.find(Self.sshdCandidates)!
        sshPath = Self.find(Self.sshCandidates)!
        guard let account = getpwuid(getuid()), let name = account.pointee.pw_name else {
            throw MatrixBenchError.failed("cannot find the current user's name for the SSH login")
        }
        userName = String(cString: name)
        let directory = try TemporaryDirectory(prefix: "visag-matrix-ssh")
        self.directory = directory
        do {
            let keygen = Self.find(Self.keygenCandidates)!
            for key in ["host_ed25519", "user_ed25519"] {
                let generator = try ChildProcess(
                    name: "ssh-keygen", arguments: [keygen, "-q", "-t", "ed25519", "-N", "", "-C", "visag-matrix-\(key)",
                                                    "-f", directory.file(key)],
                    stdin: .null, stdout: .null, stderr: .file(directory.file("ssh-keygen.log")))
                generator.waitForExit(timeoutSeconds: 20)
                generator.terminate(graceSeconds: 0)
                guard generator.exitStatus == 0 else {
                    throw MatrixBenchError.failed("ssh-keygen failed: " + Self.tail(directory.file("ssh-keygen.log")))
                }
            }
            let userKey = try String(contentsOfFile: directory.file("user_ed25519.pub"), encoding: .utf8)
            // The key may open a pty and forward to loopback ports, nothing else (the report's
            // "keys should allow only tunnelling and the object-run command").
            try directory.write("restrict,pty,port-forwarding,permitopen=\"127.0.0.1:*\" \(userKey)", to: "authorized_keys")
            try Self.ensurePrivilegeSeparationDirectory()
            var lastFailure = ""
            var launched: (ChildProcess, UInt16)?
            for _ in 0..<3 {
                let port = try LoopbackSocket.freePort()
                try directory.write(Self.configuration(port: port, directory: directory, user: userName), to: "sshd_config")
                let log = directory.file("sshd.log")
                let server = try ChildProcess(name: "sshd", arguments: launcher.guarded([sshd, "-f", directory.file("sshd_config"), "-D", "-e"]),
                                              stdin: .pipe, stdout: .null, stderr: .file(log), endsLast: true)
                if Self.waitForListener(port: port, process: server) {
                    launched = (server, port)
                    break
                }
                server.terminate(graceSeconds: 1)
                lastFailure = Self.tail(log)
            }
            guard let (server, port) = launched else { throw MatrixBenchError.failed("sshd did not start: \(lastFailure)") }
            process = server
            self.port = port
            let hostKey = try String(contentsOfFile: directory.file("host_ed25519.pub"), encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            try directory.write("[127.0.0.1]:\(port) \(hostKey)\n", to: "known_hosts")
        } catch {
            directory.remove()
            throw error
        }
        startSeconds = MonotonicClock.nowSeconds() - started
    }

    private static func configuration(port: UInt16, directory: TemporaryDirectory, user: String) -> String {
        """
        # Written by visag bench matrix for one run; removed with its directory.
        Port \(port)
        ListenAddress 127.0.0.1
        AddressFamily inet
        HostKey \(directory.file("host_ed25519"))
        PidFile none
        AuthorizedKeysFile \(directory.file("authorized_keys"))
        AllowUsers \(user)
        StrictModes no
        UsePAM no
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        AllowTcpForwarding local
        PermitOpen 127.0.0.1:*
        AllowAgentForwarding no
        X11Forwarding no
        PermitTTY yes
        PermitUserEnvironment no
        UseDNS no
        # bash sources ~/.bashrc for a command sshd starts unless SHLVL says it is nested: the
        # tunnels must not run the login user's start-up files (a root .bashrc running pyenv has
        # stalled parallel logins on pyenv's rehash lock).
        SetEnv SHLVL=1
        PrintMotd no
        PrintLastLog no
        Banner none
        Ciphers aes128-gcm@openssh.com
        MaxStartups 128
        LoginGraceTime 30
        LogLevel ERROR

        """
    }

    /// sshd started as root refuses to run without its privilege-separation directory, which
    /// Debian creates only when the ssh service itself starts.
    private static func ensurePrivilegeSeparationDirectory() throws {
        guard getuid() == 0 else { return }
        var info = stat()
        if stat("/run/sshd", &info) == 0 { return }
        guard mkdir("/run/sshd", 0o755) == 0 || errno == EEXIST else {
            throw ChildProcess.error("creating sshd's privilege separation directory /run/sshd")
        }
    }

    private static func waitForListener(port: UInt16, process: ChildProcess) -> Bool {
        let deadline = MonotonicClock.nowSeconds() + 10
        while MonotonicClock.nowSeconds() < deadline {
            if let fd = try? LoopbackSocket.connect(port: port) {
                close(fd)
                return true
            }
            if !process.isRunning { return false }
            usleep(5_000)
        }
        return false
    }

    static func tail(_ path: String) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(3).joined(separator: " | ")
    }

    /// The ssh client command for one worker's tunnel: a session with a pty (`-tt`, which makes
    /// both ssh and sshd set TCP_NODELAY) that forwards a Unix socket in the run's directory to
    /// the worker's port and prints a marker once it is up.
    func tunnelCommand(socketPath: String, workerPort: UInt16, logName: String) -> [String] {
        [sshPath, "-F", "/dev/null", "-tt", "-e", "none", "-q",
         "-i", directory.file("user_ed25519"),
         "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
         "-o", "UserKnownHostsFile=\(directory.file("known_hosts"))", "-o", "GlobalKnownHostsFile=/dev/null",
         "-o", "StrictHostKeyChecking=yes", "-o", "CheckHostIP=no", "-o", "UpdateHostKeys=no",
         "-o", "BatchMode=yes", "-o", "ExitOnForwardFailure=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
         "-o", "Ciphers=aes128-gcm@openssh.com", "-o", "AddressFamily=inet", "-o", "LogLevel=ERROR",
         "-E", directory.file(logName),
         "-L", "\(socketPath):127.0.0.1:\(workerPort)",
         "-p", String(port), "\(userName)@127.0.0.1",
         "echo \(SSHTunnel.readyMarker); exec sleep 86400"]
    }

    func stop() {
        process.terminate(graceSeconds: 2)
        directory.remove()
    }
}
