import Foundation
import Model

/// Real Ed25519 keys, one pair per owner, made by libcrypto the first time an owner's key is written and kept in
/// memory for the run (the private halves are what the requesting processes would log in with).
///
/// `@unchecked Sendable`: `pairs` is only touched under `lock`.
public final class Ed25519KeySource: KeySource, @unchecked Sendable {
    private let lock = NSLock()
    private var pairs: [String: Ed25519KeyPair] = [:]
    private var ownersByLine: [String: String] = [:]
    /// Each owner gets a key; a run cannot have more owners than writes, and this bounds a runaway one.
    public static let maxKeyCount = 1_000_000

    public init() {}

    public func publicKey(for write: KeyWrite, mainNode: NodeID) throws -> String {
        try keyPair(owner: KeyIdentity.owner(of: write, mainNode: mainNode), comment: KeyIdentity.comment(for: write))
            .publicKeyLine
    }

    /// The pair of `owner`, made now if it has none yet. `comment` is used only when the pair is made.
    public func keyPair(owner: String, comment: String) throws -> Ed25519KeyPair {
        lock.lock()
        defer { lock.unlock() }
        if let pair = pairs[owner] { return pair }
        guard pairs.count < Self.maxKeyCount else {
            throw SSHKeyError.libcrypto(operation: "make more than \(Self.maxKeyCount) keys in one run")
        }
        let pair = try Ed25519KeyPair(comment: comment)
        pairs[owner] = pair
        ownersByLine[pair.publicKeyLine] = owner
        return pair
    }

    /// The pair behind a public key line this source handed out, or nil.
    public func keyPair(forPublicKeyLine line: String) -> Ed25519KeyPair? {
        lock.lock()
        defer { lock.unlock() }
        return ownersByLine[line].flatMap { pairs[$0] }
    }

    public var keyCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return pairs.count
    }
}
