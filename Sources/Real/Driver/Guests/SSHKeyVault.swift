import Foundation
import Sim

/// Real Ed25519 key pairs for the driver's key identities. The driver names every key by whose it is
/// (`KeyIdentity`); a real guest needs a real key for each, and whoever runs an object must hold its private
/// half. One pair per owner, made on first use with `ssh-keygen` in a 0700 directory that `removeAll()` deletes.
final class SSHKeyVault: @unchecked Sendable {
    // `@unchecked Sendable`: `keys` is read and written only under its lock; `directory` is immutable.
    struct Key: Sendable {
        let owner: String
        /// `ssh-ed25519 <base64>`, without a comment.
        let publicKey: String
        let privateKeyPath: String
    }

    static let keygen = "/usr/bin/ssh-keygen"
    static let keygenTimeoutSeconds = 10.0

    let directory: URL
    private let keys = Locked<[String: Key]>([:])

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("visag-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: false,
                                                attributes: [.posixPermissions: 0o700])
        directory = base
    }

    deinit { removeAll() }

    /// The pair standing for `owner`, made now if there is none yet. Pairs are made under the lock: two callers
    /// asking for the same owner get the same pair.
    func key(for owner: String) throws -> Key {
        try keys.withLock { keys in
            if let key = keys[owner] { return key }
            let path = directory.appendingPathComponent("key\(keys.count)").path
            let result = try HostCommand.run(Self.keygen, ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path],
                                             timeoutSeconds: Self.keygenTimeoutSeconds)
            guard result.succeeded, let line = try? String(contentsOfFile: path + ".pub", encoding: .utf8) else {
                throw QEMUGuestError.command("ssh-keygen failed for \(owner): \(result.stderrTail)")
            }
            let fields = line.split(separator: " ")
            guard fields.count >= 2, fields[0] == "ssh-ed25519" else {
                throw QEMUGuestError.command("ssh-keygen wrote an unexpected public key for \(owner)")
            }
            let key = Key(owner: owner, publicKey: "ssh-ed25519 \(fields[1])", privateKeyPath: path)
            keys[owner] = key
            return key
        }
    }

    func removeAll() {
        try? FileManager.default.removeItem(at: directory)
    }
}
