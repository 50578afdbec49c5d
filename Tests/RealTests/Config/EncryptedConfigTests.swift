import Foundation
import XCTest
@testable import Real

/// The encrypted configuration format: round trips, and every way a file can be wrong giving one error that names
/// the file and carries no secret.
final class EncryptedConfigTests: XCTestCase {
    /// Cheap scrypt costs keep the byte-by-byte loops fast; the format is the same.
    static let cheap = ScryptCost(log2N: 10, blockSize: 8, parallelism: 1)
    static let plaintextText = "uri: qemu+ssh://node1/system\nusername: admin\npassword: hunter2-secret\n"

    var plaintext: SecretBytes { SecretBytes(copying: Array(Self.plaintextText.utf8)) }

    func testKeyAndPassphraseRoundTripWithAFreshNonceEachTime() throws {
        let key = ConfigSecret.key(try SecureRandom.secret(32))
        let passphrase = ConfigSecret.passphrase(SecretBytes(copying: Array("correct horse battery".utf8)))
        for secret in [key, passphrase] {
            let first = try EncryptedConfig.encrypt(plaintext, with: secret, cost: Self.cheap)
            let second = try EncryptedConfig.encrypt(plaintext, with: secret, cost: Self.cheap)
            XCTAssertNotEqual(first, second, "a new nonce (and salt) for every encryption")
            XCTAssertTrue(try EncryptedConfig.decrypt(first, path: "f.enc", with: secret).constantTimeEquals(plaintext))
            XCTAssertFalse(String(decoding: first, as: UTF8.self).contains("hunter2"), "nothing of the plaintext shows")
        }
        let empty = try EncryptedConfig.encrypt(SecretBytes(count: 0), with: key)
        XCTAssertEqual(try EncryptedConfig.decrypt(empty, path: "e.enc", with: key).count, 0)
    }

    func testHeaderLayoutIsVersionedAndRecordsTheKeyDerivation() throws {
        let keyFile = try EncryptedConfig.encrypt(plaintext, with: .key(try SecureRandom.secret(32)))
        XCTAssertEqual(Array(keyFile.prefix(8)), Array("VISAGCFG".utf8))
        XCTAssertEqual(keyFile[8], 1, "version")
        XCTAssertEqual(keyFile[9], 1, "key file")
        XCTAssertEqual(keyFile.count, 10 + 12 + 8 + Self.plaintextText.utf8.count + 16)
        let scrypt = try EncryptedConfig.encrypt(plaintext, with: .passphrase(SecretBytes(copying: Array("passphrase".utf8))),
                                                 cost: Self.cheap)
        XCTAssertEqual(scrypt[9], 2, "scrypt")
        XCTAssertEqual(scrypt[10], 10, "log2 N")
        XCTAssertEqual(Array(scrypt[11..<19]), [0, 0, 0, 8, 0, 0, 0, 1], "r and p, big-endian")
        let (header, count) = try EncryptedConfigHeader.parse(scrypt, path: "s.enc")
        XCTAssertEqual(count, 55)
        guard case .scrypt(let cost, let salt) = header.derivation else { return XCTFail("\(header)") }
        XCTAssertEqual(cost, Self.cheap)
        XCTAssertEqual(salt, Array(scrypt[19..<35]))
    }

    func testEveryChangedByteIsRejectedAndNothingIsDecrypted() throws {
        let secrets: [ConfigSecret] = [.key(try SecureRandom.secret(32)),
                                       .passphrase(SecretBytes(copying: Array("a long passphrase".utf8)))]
        for secret in secrets {
            let file = try EncryptedConfig.encrypt(plaintext, with: secret, cost: Self.cheap)
            for index in file.indices {
                var tampered = file
                tampered[index] ^= 0x01
                XCTAssertThrowsError(try EncryptedConfig.decrypt(tampered, path: "cfg.enc", with: secret), "byte \(index)") {
                    let error = $0 as? ConfigCryptoError
                    XCTAssertEqual(error?.isBadInput, true, "byte \(index): \($0)")
                    XCTAssertTrue("\($0)".hasPrefix("cfg.enc: "), "names the file: \($0)")
                }
            }
        }
    }

    func testTruncatedExtendedAndForeignFilesGiveTheirOwnError() throws {
        let secret = ConfigSecret.key(try SecureRandom.secret(32))
        let file = try EncryptedConfig.encrypt(plaintext, with: secret)
        for length in 0..<file.count {
            XCTAssertThrowsError(try EncryptedConfig.decrypt(Array(file.prefix(length)), path: "t.enc", with: secret)) { error in
                switch error as? ConfigCryptoError {
                case .truncated(let path, _, let found)?:
                    XCTAssertEqual(path, "t.enc")
                    XCTAssertEqual(found, length)
                case .notEncryptedConfig?:
                    XCTAssertLessThan(length, 8, "only a file shorter than the magic can lose it")
                default:
                    XCTFail("length \(length): \(error)")
                }
            }
        }
        XCTAssertThrowsError(try EncryptedConfig.decrypt(file + [0], path: "t.enc", with: secret)) {
            XCTAssertEqual($0 as? ConfigCryptoError, .trailingBytes(path: "t.enc", extraByteCount: 1))
        }
        XCTAssertThrowsError(try EncryptedConfig.decrypt(Array("uri: test:///default\n".utf8), path: "p.conf", with: secret)) {
            XCTAssertEqual($0 as? ConfigCryptoError, .notEncryptedConfig(path: "p.conf"))
            XCTAssertEqual("\($0)", "p.conf: not a visag encrypted configuration (bad magic bytes)")
        }
        var future = file
        future[8] = 2
        XCTAssertThrowsError(try EncryptedConfig.decrypt(future, path: "v.enc", with: secret)) {
            XCTAssertEqual($0 as? ConfigCryptoError, .unsupportedVersion(path: "v.enc", version: 2))
        }
    }

    func testWrongSecretsAreRefusedWithoutShowingThem() throws {
        let passphrase = "the right passphrase"
        let file = try EncryptedConfig.encrypt(plaintext, with: .passphrase(SecretBytes(copying: Array(passphrase.utf8))),
                                               cost: Self.cheap)
        XCTAssertThrowsError(try EncryptedConfig.decrypt(file, path: "w.enc",
                                                         with: .passphrase(SecretBytes(copying: Array("the wrong passphrase".utf8))))) {
            XCTAssertEqual("\($0)", "w.enc: cannot decrypt: wrong passphrase, or the file was modified")
            XCTAssertFalse("\($0)".contains("wrong passphrase\""))
        }
        XCTAssertThrowsError(try EncryptedConfig.decrypt(file, path: "w.enc", with: .key(try SecureRandom.secret(32)))) {
            XCTAssertEqual($0 as? ConfigCryptoError, .wrongSecretKind(path: "w.enc", fileNeeds: "a passphrase (use --passphrase-env)"))
        }
        let keyed = try EncryptedConfig.encrypt(plaintext, with: .key(try SecureRandom.secret(32)))
        XCTAssertThrowsError(try EncryptedConfig.decrypt(keyed, path: "k.enc", with: .key(try SecureRandom.secret(32)))) {
            XCTAssertEqual($0 as? ConfigCryptoError, .authenticationFailed(path: "k.enc", unlockedWith: "key"))
        }
        XCTAssertEqual("\(SecretBytes(copying: Array(passphrase.utf8)))", "<20 secret bytes>")
    }

    func testAHeaderAskingForTooMuchMemoryIsRefusedBeforeAnyDerivation() throws {
        var file = try EncryptedConfig.encrypt(plaintext, with: .passphrase(SecretBytes(copying: Array("passphrase".utf8))),
                                               cost: Self.cheap)
        file[10] = 40
        XCTAssertThrowsError(try EncryptedConfig.decrypt(file, path: "n.enc", with: .passphrase(SecretBytes(copying: Array("x".utf8))))) {
            guard case .badKeyDerivationParameters(let path, let problem)? = $0 as? ConfigCryptoError else { return XCTFail("\($0)") }
            XCTAssertEqual(path, "n.enc")
            XCTAssertTrue(problem.contains("2^40"), problem)
        }
        file[10] = 22
        file[14] = 32
        XCTAssertThrowsError(try EncryptedConfig.decrypt(file, path: "m.enc", with: .passphrase(SecretBytes(copying: Array("x".utf8))))) {
            XCTAssertTrue("\($0)".contains("MiB"), "\($0)")
        }
        // Within the memory limit, but a header OpenSSL would refuse (N >= 2^(16·r)): refused first, naming the file.
        file[10] = 16
        file[14] = 1
        XCTAssertThrowsError(try EncryptedConfig.decrypt(file, path: "o.enc", with: .passphrase(SecretBytes(copying: Array("x".utf8))))) {
            XCTAssertEqual("\($0)", "o.enc: scrypt N = 2^16 with r = 1 breaks N < 2^(16·r) (RFC 7914; OpenSSL refuses it)")
        }
        // Within the memory limit, but minutes of work (N·r·p = 2^26): refused before any derivation, at once.
        file[10] = 19
        file[14] = 8
        file[18] = 16
        let clock = ContinuousClock()
        let started = clock.now
        XCTAssertThrowsError(try EncryptedConfig.decrypt(file, path: "t.enc", with: .passphrase(SecretBytes(copying: Array("x".utf8))))) {
            XCTAssertTrue("\($0)".hasPrefix("t.enc: scrypt work N·r·p = 67108864 is more than 16777216"), "\($0)")
        }
        XCTAssertLessThan(started.duration(to: clock.now), .seconds(1))
    }

    func testHypervisorSettingsParseAndNeverShowThePassword() throws {
        let settings = try HypervisorSettings.parse(plaintext, path: "h.enc")
        XCTAssertEqual(settings, HypervisorSettings(uri: "qemu+ssh://node1/system", username: "admin", password: "hunter2-secret"))
        XCTAssertFalse("\(settings)".contains("hunter2"))
        XCTAssertFalse(String(reflecting: settings).contains("hunter2"))
        XCTAssertFalse("\(settings.credentials!)".contains("hunter2"))
        let quoted = try HypervisorSettings.parse(SecretBytes(copying: Array("# c\n\n uri: 'test:///default' \npassword: \"a # b\"\n".utf8)),
                                                  path: "q.enc")
        XCTAssertEqual(quoted, HypervisorSettings(uri: "test:///default", password: "a # b"))
        XCTAssertNil(HypervisorSettings(uri: "test:///default").credentials)

        let bad: [(String, String)] = [
            ("password: hunter2\n", "q.enc: no `uri:` line (the libvirt URI, e.g. qemu:///system)"),
            ("uri: a\nuri: b\n", "q.enc: line 2: `uri` given twice"),
            ("uri: a\npasword: hunter2\n", "q.enc: line 2: unknown key `pasword` (keys: uri, username, password)"),
            ("uri: a\nhunter2\n", "q.enc: line 2: expected `key: value` (keys: uri, username, password)"),
            ("uri: a b\n", "q.enc: `uri` contains whitespace"),
        ]
        for (text, message) in bad {
            XCTAssertThrowsError(try HypervisorSettings.parse(SecretBytes(copying: Array(text.utf8)), path: "q.enc")) {
                XCTAssertEqual("\($0)", message)
                XCTAssertFalse("\($0)".contains("hunter2"))
            }
        }
        XCTAssertThrowsError(try HypervisorSettings.parse(SecretBytes(copying: [0xff, 0xfe]), path: "q.enc"))
    }
}
