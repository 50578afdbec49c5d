import Foundation

/// The tiny worker guest that `scripts/tcg-guest/build-guest.sh` builds from Debian packages: a cloud kernel, a
/// busybox initramfs with dropbear, the admin key the host logs in with and the guest's pinned host key.
public struct QEMUGuestImage: Sendable {
    /// The directory the build script printed.
    public let directory: URL
    public var kernelPath: String { directory.appendingPathComponent("vmlinuz").path }
    public var initramfsPath: String { directory.appendingPathComponent("initramfs.gz").path }
    /// The admin key (unrestricted in the clean image): the hypervisor's way into the guest, as VIX was for the
    /// report's VMware workers.
    public var adminKeyPath: String { directory.appendingPathComponent("admin_ed25519").path }
    /// One line, `visag-guest ssh-ed25519 …`: every worker of the image presents this host key.
    public var knownHostsPath: String { directory.appendingPathComponent("known_hosts").path }
    /// The port dropbear listens on inside the guest.
    public let guestSSHPort: UInt16
    /// The port the matrix worker listens on inside the guest, when `add-worker.sh` put one in the image.
    public let guestWorkerPort: UInt16?
    /// The guest's own public key (`ssh-ed25519 <base64>`), as pinned in `known_hosts`.
    public let hostPublicKey: String

    /// The name every worker's host key is checked under (`HostKeyAlias`).
    public static let hostKeyAlias = "visag-guest"

    public init(directory: URL) throws {
        self.directory = directory
        func read(_ name: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw QEMUGuestError.image("\(url.path) is missing: run scripts/tcg-guest/build-guest.sh")
            }
            return text.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        guard let port = UInt16(try read("guest_ssh_port")) else {
            throw QEMUGuestError.image("\(directory.path)/guest_ssh_port is not a port number")
        }
        guestSSHPort = port
        guestWorkerPort = (try? read("guest_worker_port")).flatMap { UInt16($0) }
        let known = try read("known_hosts").split(separator: " ")
        guard known.count == 3, known[0] == Self.hostKeyAlias, known[1] == "ssh-ed25519" else {
            throw QEMUGuestError.image("\(directory.path)/known_hosts is not one '\(Self.hostKeyAlias) ssh-ed25519 <key>' line")
        }
        hostPublicKey = "ssh-ed25519 \(known[2])"
        for path in [kernelPath, initramfsPath, adminKeyPath] where !FileManager.default.fileExists(atPath: path) {
            throw QEMUGuestError.image("\(path) is missing: run scripts/tcg-guest/build-guest.sh")
        }
    }
}

/// What went wrong with the QEMU guest, its image or a command sent to it.
public enum QEMUGuestError: Error, CustomStringConvertible, Equatable {
    case image(String)
    /// A command in the guest failed or timed out: what, and the last lines it printed.
    case command(String)
    /// The guest did not answer in time.
    case notReady(String)

    public var description: String {
        switch self {
        case .image(let text), .command(let text), .notReady(let text): text
        }
    }
}
