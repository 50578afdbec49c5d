import Model

/// A worker's `authorized_keys`, as the guest holds it after Model's key writes (each line a
/// `GuestKeyWrite.authorizedKeysLine`: the SSH restrictions of report §2.12, then the key). The
/// worker of a virtual-secure cell accepts exactly the keys of these lines whose restrictions
/// allow what its channel is: the object-run command reached through a forwarded stream.
struct AuthorizedKeys: Equatable, Sendable {
    struct Entry: Equatable, Sendable {
        /// Options before the key, e.g. `command` → `popcobjrun`, `no-pty` → nil.
        var options: [String: String?]
        var rawPublicKey: [UInt8]
        var comment: String

        /// The channel is a forwarded TCP stream to the object: a key with `no-port-forwarding`
        /// cannot open it, and a forced command other than the object run would not reach it.
        var permitsObjectChannel: Bool {
            let restricted = options.keys.contains("restrict") && !options.keys.contains("port-forwarding")
            if options.keys.contains("no-port-forwarding") || restricted { return false }
            if let command = options["command"] { return command == SSHRestrictions.popcObjectRun.command }
            return true
        }
    }

    var entries: [Entry]

    /// The raw keys the worker accepts.
    var acceptedKeys: [[UInt8]] { entries.filter(\.permitsObjectChannel).map(\.rawPublicKey) }

    /// Parses OpenSSH's format: blank lines and `#` comments skipped; a line is
    /// `[options] ssh-ed25519 <base64> [comment]`. Other key types are an error (the benchmark
    /// writes only Ed25519).
    init(text: String) throws {
        entries = []
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#") else { continue }
            entries.append(try Self.entry(trimmed, lineNumber: number + 1))
        }
    }

    private static func entry(_ line: Substring, lineNumber: Int) throws -> Entry {
        var rest = line
        var options: [String: String?] = [:]
        if !rest.hasPrefix(OpenSSHKey.type + " ") {
            let (text, remainder) = splitOptions(rest)
            options = try parseOptions(text, lineNumber: lineNumber)
            rest = remainder.drop { $0 == " " }
        }
        let fields = rest.split(separator: " ", maxSplits: 2)
        guard fields.count >= 2, fields[0] == OpenSSHKey.type,
              let raw = OpenSSHKey.rawPublicKey(fromBase64: fields[1]) else {
            throw MatrixBenchError.failed("authorized_keys line \(lineNumber): not an \(OpenSSHKey.type) key")
        }
        return Entry(options: options, rawPublicKey: raw, comment: fields.count > 2 ? String(fields[2]) : "")
    }

    /// The options field ends at the first space outside double quotes.
    private static func splitOptions(_ line: Substring) -> (Substring, Substring) {
        var quoted = false
        for index in line.indices {
            if line[index] == "\"" { quoted.toggle() }
            if line[index] == " " && !quoted { return (line[..<index], line[index...]) }
        }
        return (line, "")
    }

    private static func parseOptions(_ text: Substring, lineNumber: Int) throws -> [String: String?] {
        var options: [String: String?] = [:]
        var name = ""
        var value: String?
        var quoted = false
        func finish() {
            if !name.isEmpty { options[name.lowercased()] = value }
            name = ""
            value = nil
        }
        for character in text {
            switch character {
            case "\"": quoted.toggle()
            case "," where !quoted: finish()
            case "=" where !quoted && value == nil: value = ""
            default:
                if value != nil { value!.append(character) } else { name.append(character) }
            }
        }
        guard !quoted else { throw MatrixBenchError.failed("authorized_keys line \(lineNumber): unterminated quote") }
        finish()
        return options
    }
}
