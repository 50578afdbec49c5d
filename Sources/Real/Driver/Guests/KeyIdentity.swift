import Foundation
import Model

/// Keys as identities: an OpenSSH-shaped public key line that names whose key it is, deterministically, with no
/// key material (`ssh-ed25519 <base64 of the owner's name> <comment>`). Enough to route and check keys in process;
/// a guest channel to real guests will carry generated keys instead.
public enum KeyIdentity {
    public static func publicKey(owner: String, comment: String) -> String {
        "ssh-ed25519 \(Data(owner.utf8).base64EncodedString()) \(comment)"
    }

    /// The key behind one of Model's key writes. `main` is the application's main node (the requester of every
    /// object of the application is its main process).
    public static func publicKey(for write: KeyWrite, mainNode main: NodeID) -> String {
        publicKey(owner: owner(of: write, mainNode: main), comment: comment(for: write))
    }

    /// Who holds the private half of the key behind a write: the requesting object's process, the application's
    /// main process, or a node's admin VM. Every key source names its keys this way.
    public static func owner(of write: KeyWrite, mainNode main: NodeID) -> String {
        switch write.kind {
        case .requester(let object): "visag/requester/\(main)/\(object)"
        case .mainNode(let app): "visag/main/\(main)/\(app)"
        case .admin(let node): "visag/admin/\(node)"
        case .worker(let vm): "visag/worker/\(vm)"
        case .node(let node): "visag/node/\(node)"
        }
    }

    /// The key line's comment: the application the key was written for.
    public static func comment(for write: KeyWrite) -> String {
        write.app.map { "app\($0.index)" } ?? "app-none"
    }

    /// A worker's own key (its SSH host identity in the original).
    public static func vmKey(domainName: String) -> String {
        publicKey(owner: "visag/vm/\(domainName)", comment: domainName)
    }

    /// The owner a key line names, or nil if it is not one of these identities.
    public static func owner(ofKeyLine line: String) -> String? {
        let fields = line.split(separator: " ")
        guard let type = fields.firstIndex(of: "ssh-ed25519"), type + 1 < fields.count,
              let data = Data(base64Encoded: String(fields[type + 1])) else { return nil }
        return String(data: data, encoding: .utf8)
    }
}
