/// `visag config edit`: decrypt, edit, and re-encrypt only if the text changed, with the same kind of secret
/// (and, for a passphrase, the same scrypt costs) but a fresh nonce and salt.
public enum EncryptedConfigEdit {
    public enum Outcome: Equatable, Sendable {
        case unchanged
        case rewritten
    }

    public static func edit(path: String, with secret: ConfigSecret,
                            editorCommand: String = PlaintextEditor.editorCommand()) throws(ConfigCryptoError) -> Outcome {
        let file = try EncryptedConfig.readEncrypted(path: path)
        let plaintext = try EncryptedConfig.decrypt(file, path: path, with: secret)
        let cost: ScryptCost
        switch try EncryptedConfigHeader.parse(file, path: path).header.derivation {
        case .keyFile: cost = .standard
        case .scrypt(let fileCost, _): cost = fileCost
        }
        guard let edited = try PlaintextEditor.edit(plaintext, path: path, fileName: plaintextName(of: path),
                                                    editorCommand: editorCommand) else { return .unchanged }
        try EncryptedConfig.encryptFile(edited, to: path, with: secret, cost: cost)
        return .rewritten
    }

    /// `hypervisor.conf.enc` → `hypervisor.conf`.
    static func plaintextName(of path: String) -> String {
        let name = path.split(separator: "/").last.map(String.init) ?? "config"
        let base = name.hasSuffix(".enc") ? String(name.dropLast(4)) : name
        return base.isEmpty || base.hasPrefix(".") ? "config" + base : base
    }
}
