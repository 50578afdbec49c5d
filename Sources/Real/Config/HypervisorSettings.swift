import Foundation

/// How to reach a hypervisor, as kept in an encrypted file (`visag run --backend real --hypervisor-config`).
///
/// Plaintext format, one `key: value` per line; blank lines and lines starting with `#` are ignored:
/// ```
/// # how visag reaches node 1
/// uri: qemu+ssh://node1/system
/// username: admin
/// password: "two words"
/// ```
/// `uri` is required, `username` and `password` optional; quotes (double or single) around a value are removed.
/// Only `#` at the start of a line begins a comment, so a password may contain one. Errors name the line and
/// the key, never a value.
public struct HypervisorSettings: Equatable, Sendable, CustomStringConvertible, CustomReflectable {
    public var uri: String
    public var username: String?
    public var password: String?

    public static let keys = ["uri", "username", "password"]

    public init(uri: String, username: String? = nil, password: String? = nil) {
        self.uri = uri
        self.username = username
        self.password = password
    }

    /// Never shows the password.
    public var description: String {
        "uri \(uri)" + (username.map { ", user \($0)" } ?? "") + (password == nil ? "" : ", password set")
    }

    public var customMirror: Mirror { Mirror(self, children: ["description": description]) }

    /// What libvirt's authentication needs, or nil when neither a username nor a password is set.
    public var credentials: HypervisorCredentials? {
        username == nil && password == nil ? nil : HypervisorCredentials(username: username, password: password)
    }

    /// Reads and decrypts the file at `path` and parses it.
    public static func load(path: String, with secret: ConfigSecret) throws(ConfigCryptoError) -> Self {
        try parse(try EncryptedConfig.decryptFile(at: path, with: secret), path: path)
    }

    /// `path` names the encrypted file in errors.
    public static func parse(_ plaintext: SecretBytes, path: String) throws(ConfigCryptoError) -> Self {
        guard let text = plaintext.withUnsafeBytes({ String(bytes: $0, encoding: .utf8) }) else {
            throw .badSettings(path: path, line: 0, problem: "the decrypted settings are not UTF-8 text")
        }
        var values: [String: String] = [:]
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            let number = index + 1
            guard let colon = line.firstIndex(of: ":") else {
                throw .badSettings(path: path, line: number, problem: "expected `key: value` (keys: \(keys.joined(separator: ", ")))")
            }
            let key = String(line[..<colon].trimmingWhitespace())
            guard keys.contains(key) else {
                let shown = key.count <= 32 && key.allSatisfy({ $0.isLetter || $0 == "_" || $0 == "-" }) ? "`\(key)`" : "this key"
                throw .badSettings(path: path, line: number, problem: "unknown key \(shown) (keys: \(keys.joined(separator: ", ")))")
            }
            guard values[key] == nil else { throw .badSettings(path: path, line: number, problem: "`\(key)` given twice") }
            values[key] = unquoted(line[line.index(after: colon)...].trimmingWhitespace())
        }
        guard let uri = values["uri"], !uri.isEmpty else {
            throw .badSettings(path: path, line: 0, problem: "no `uri:` line (the libvirt URI, e.g. qemu:///system)")
        }
        guard !uri.contains(where: \.isWhitespace) else {
            throw .badSettings(path: path, line: 0, problem: "`uri` contains whitespace")
        }
        return Self(uri: uri, username: values["username"].flatMap { $0.isEmpty ? nil : $0 }, password: values["password"])
    }

    private static func unquoted(_ value: Substring) -> String {
        for quote in ["\"", "'"] where value.count >= 2 && value.hasPrefix(quote) && value.hasSuffix(quote) {
            return String(value.dropFirst().dropLast())
        }
        return String(value)
    }
}

extension Substring {
    fileprivate func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first.isWhitespace { result = result.dropFirst() }
        while let last = result.last, last.isWhitespace { result = result.dropLast() }
        return result
    }
}
