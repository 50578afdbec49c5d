import Foundation

/// How the host reaches a QEMU worker's dropbear: OpenSSH's client to a loopback forward, no configuration file,
/// no agent, the guest's host key pinned (every worker of an image presents the same key, checked under one
/// alias), and hard timeouts.
struct GuestSSH: Sendable {
    static let executable = "/usr/bin/ssh"
    /// ssh's own status for "could not connect or authenticate"; anything else is the remote command's.
    static let connectionFailureStatus: Int32 = 255

    let image: QEMUGuestImage
    /// The host side of every worker's forward (the guest side is `image.guestSSHPort`).
    let hostPort: UInt16

    /// `ssh` arguments for `command` as root on `host`, logging in with the private key at `identity`.
    func arguments(host: String, identity: String, command: String, connectTimeoutSeconds: Int) -> [String] {
        let options = [
            "BatchMode=yes", "IdentitiesOnly=yes", "IdentityAgent=none", "PasswordAuthentication=no",
            "UserKnownHostsFile=\(image.knownHostsPath)", "GlobalKnownHostsFile=/dev/null",
            "HostKeyAlias=\(QEMUGuestImage.hostKeyAlias)", "StrictHostKeyChecking=yes", "UpdateHostKeys=no",
            "ConnectTimeout=\(connectTimeoutSeconds)", "ServerAliveInterval=5", "ServerAliveCountMax=3",
            "ControlMaster=no", "ControlPath=none", "LogLevel=ERROR",
        ]
        return ["-F", "/dev/null", "-T", "-i", identity] + options.flatMap { ["-o", $0] }
            + ["-p", "\(hostPort)", "-l", "root", host, command]
    }

    /// Runs `command` to completion.
    func run(host: String, identity: String, command: String, timeoutSeconds: Double) throws -> HostCommand.Result {
        let connect = max(1, min(10, Int(timeoutSeconds.rounded(.up))))
        return try HostCommand.run(Self.executable, arguments(host: host, identity: identity, command: command,
                                                              connectTimeoutSeconds: connect),
                                   timeoutSeconds: timeoutSeconds)
    }
}
