/// What unlocks an encrypted configuration: a 256-bit key from a key file, or a passphrase run through scrypt.
public enum ConfigSecret: Sendable {
    case key(SecretBytes)
    case passphrase(SecretBytes)

    /// Shortest passphrase accepted when encrypting (any length is tried when decrypting).
    public static let minimumPassphraseByteCount = 8

    /// What was wrong if the tag fails, for messages.
    var name: String {
        switch self {
        case .key: "key"
        case .passphrase: "passphrase"
        }
    }
}
