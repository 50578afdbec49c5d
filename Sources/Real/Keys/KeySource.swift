import Model

/// Where the public keys behind Model's key writes come from. The driver asks once per write, on its loop thread;
/// the same owner (`KeyIdentity.owner(of:mainNode:)`) always gets the same key.
public protocol KeySource: AnyObject, Sendable {
    /// The OpenSSH public key line (`ssh-ed25519 <base64> <comment>`) for `write`.
    func publicKey(for write: KeyWrite, mainNode: NodeID) throws -> String
}

/// Deterministic identities with no key material (`KeyIdentity`): enough to route and check keys in process,
/// and what the in-process guest channel's tests read back.
public final class IdentityKeySource: KeySource {
    public init() {}

    public func publicKey(for write: KeyWrite, mainNode: NodeID) throws -> String {
        KeyIdentity.publicKey(for: write, mainNode: mainNode)
    }
}
