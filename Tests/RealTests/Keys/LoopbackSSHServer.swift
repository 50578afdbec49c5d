import Foundation
import XCTest
@testable import Real

/// A throwaway OpenSSH server on 127.0.0.1 standing for one worker VM's sshd: its own 0700 directory with a host
/// key made by `Ed25519KeyPair`, the `authorized_keys` lines a test gives it, and a `popcobjrun` on its PATH that
/// prints which worker ran it. Started as the current user (root on CI, as the matrix benchmark's sshd).
final class LoopbackSSHServer {
    static let sshdPath = "/usr/sbin/sshd"
    static let sshPath = "/usr/bin/ssh"

    let name: String
    let directory: URL
    let port: UInt16
    let userName: String
    private let process: SpawnedProcess

    /// Skips the calling test when OpenSSH is not installed.
    static func requireOpenSSH() throws {
        for path in [sshdPath, sshPath] where access(path, X_OK) != 0 {
            throw XCTSkip("\(path) is not installed (packages openssh-server, openssh-client)")
        }
    }

    /// `name` is what `popcobjrun` prints (the worker's domain name).
    init(name: String, authorizedKeys: [String]) throws {
        self.name = name
        guard let account = getpwuid(getuid()), let user = account.pointee.pw_name else {
            throw SSHTestError("no user name for uid \(getuid())")
        }
        userName = String(cString: user)
        var template = Array("/tmp/visag-sshd-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw SSHTestError("mkdtemp failed") }
        directory = URL(fileURLWithPath: String(cString: made))
        let home = directory
        let path = { (name: String) in home.appendingPathComponent(name).path }
        let userName = self.userName
        var started: (SpawnedProcess, UInt16)?
        do {
            try Ed25519KeyPair(comment: "host-\(name)").write(privateKeyTo: path("host_ed25519"))
            try (authorizedKeys.joined(separator: "\n") + "\n").write(toFile: path("authorized_keys"), atomically: true, encoding: .utf8)
            try FileManager.default.createDirectory(atPath: path("bin"), withIntermediateDirectories: false)
            // What the forced command runs: proof of which worker accepted the key and that the client's own
            // command was replaced.
            try "#!/bin/sh\necho \"popcobjrun on \(name); asked for: ${SSH_ORIGINAL_COMMAND:-nothing}\"\n"
                .write(toFile: path("bin/popcobjrun"), atomically: true, encoding: .utf8)
            chmod(path("bin/popcobjrun"), 0o755)
            if getuid() == 0, access("/run/sshd", F_OK) != 0 { mkdir("/run/sshd", 0o755) }
            var lastLog = ""
            for _ in 0..<3 {
                let port = try Self.freePort()
                try Self.configuration(port: port, user: userName, path: path).write(toFile: path("sshd_config"), atomically: true, encoding: .utf8)
                let server = try SpawnedProcess([Self.sshdPath, "-D", "-f", path("sshd_config"), "-E", path("sshd.log")])
                if Self.waitForListener(port: port, server: server) {
                    started = (server, port)
                    break
                }
                server.terminate()
                lastLog = (try? String(contentsOfFile: path("sshd.log"), encoding: .utf8)) ?? ""
            }
            guard let started else { throw SSHTestError("sshd did not start: \(lastLog)") }
            let hostKey = try String(contentsOfFile: path("host_ed25519.pub"), encoding: .utf8)
                .split(separator: " ").prefix(2).joined(separator: " ")
            try "[127.0.0.1]:\(started.1) \(hostKey)\n".write(toFile: path("known_hosts"), atomically: true, encoding: .utf8)
        } catch {
            started?.0.terminate()
            try? FileManager.default.removeItem(at: directory)
            throw error
        }
        process = started!.0
        port = started!.1
    }

    func file(_ name: String) -> String { directory.appendingPathComponent(name).path }

    struct SSHResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// `ssh` with only `key` to this server, running `command` (which a forced command replaces).
    func ssh(with key: Ed25519KeyPair, keyName: String, command: String) throws -> SSHResult {
        let keyPath = file("client-\(keyName)")
        if access(keyPath, F_OK) != 0 { try key.write(privateKeyTo: keyPath) }
        let client = try SpawnedProcess([
            Self.sshPath, "-F", "/dev/null", "-i", keyPath, "-o", "IdentitiesOnly=yes", "-o", "IdentityAgent=none",
            "-o", "BatchMode=yes", "-o", "PasswordAuthentication=no", "-o", "KbdInteractiveAuthentication=no",
            "-o", "StrictHostKeyChecking=yes", "-o", "UserKnownHostsFile=\(file("known_hosts"))",
            "-o", "GlobalKnownHostsFile=/dev/null", "-o", "ConnectTimeout=10", "-o", "LogLevel=ERROR",
            "-p", String(port), "\(userName)@127.0.0.1", command,
        ], stdoutPath: file("ssh.out"), stderrPath: file("ssh.err"))
        let status = client.wait()
        return SSHResult(status: status, stdout: (try? String(contentsOfFile: file("ssh.out"), encoding: .utf8)) ?? "",
                       stderr: (try? String(contentsOfFile: file("ssh.err"), encoding: .utf8)) ?? "")
    }

    func stop() {
        process.terminate()
        try? FileManager.default.removeItem(at: directory)
    }

    /// Public keys only, loopback only, and the options of each `authorized_keys` line decide the rest.
    private static func configuration(port: UInt16, user userName: String, path file: (String) -> String) -> String {
        """
        Port \(port)
        ListenAddress 127.0.0.1
        AddressFamily inet
        HostKey \(file("host_ed25519"))
        PidFile none
        AuthorizedKeysFile \(file("authorized_keys"))
        AllowUsers \(userName)
        StrictModes no
        UsePAM no
        PubkeyAuthentication yes
        PasswordAuthentication no
        KbdInteractiveAuthentication no
        PermitRootLogin prohibit-password
        PermitUserEnvironment no
        # SHLVL=1: bash then skips the login user's ~/.bashrc for the commands sshd starts.
        SetEnv PATH=\(file("bin")):/usr/bin:/bin SHLVL=1
        UseDNS no
        PrintMotd no
        PrintLastLog no
        Banner none
        MaxStartups 32
        LoginGraceTime 20
        LogLevel VERBOSE

        """
    }

    private static func freePort() throws -> UInt16 {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SSHTestError("socket failed") }
        defer { close(descriptor) }
        var address = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0
            }
        }
        guard bound else { throw SSHTestError("could not bind 127.0.0.1:0") }
        return UInt16(bigEndian: address.sin_port)
    }

    private static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
        return address
    }

    private static func waitForListener(port: UInt16, server: SpawnedProcess) -> Bool {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, server.isRunning {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = loopback(port: port)
            let connected = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            close(descriptor)
            if connected { return true }
            usleep(10_000)
        }
        return false
    }
}

struct SSHTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
