/// How a file's 256-bit AES key is obtained, as recorded in its header.
public enum KeyDerivation: Equatable, Sendable {
    /// The key is the key file's 32 bytes, used as they are.
    case keyFile
    /// The key is scrypt(passphrase, salt) with these costs.
    case scrypt(ScryptCost, salt: [UInt8])

    /// Header ids: never reuse one for another meaning.
    static let keyFileID: UInt8 = 1
    static let scryptID: UInt8 = 2

    public static let saltByteCount = 16

    var id: UInt8 {
        switch self {
        case .keyFile: Self.keyFileID
        case .scrypt: Self.scryptID
        }
    }

    /// What the user must give to open such a file, for messages.
    var secretName: String {
        switch self {
        case .keyFile: "a key file (use --key-file)"
        case .scrypt: "a passphrase (use --passphrase-env)"
        }
    }
}
