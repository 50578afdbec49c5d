import Foundation
import XCTest
@testable import Real

/// Key files, atomic private writes, and editing an encrypted file.
final class ConfigFilesTests: XCTestCase {
    var directory: String!

    override func setUpWithError() throws {
        var template = Array("/tmp/visag-config-test-XXXXXX".utf8CString)
        directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDown() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    func mode(_ path: String) -> mode_t {
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        return info.st_mode & 0o777
    }

    func entries() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: directory).sorted() }

    func testKeygenWritesSixtyFourHexCharactersWithModeSixHundredAndNeverReplaces() throws {
        try ConfigKeyFile.generate(to: path("k"))
        XCTAssertEqual(mode(path("k")), 0o600)
        let text = try String(contentsOfFile: path("k"), encoding: .utf8)
        XCTAssertEqual(text.count, 65)
        XCTAssertTrue(text.dropLast().allSatisfy(\.isHexDigit) && text.hasSuffix("\n"))
        XCTAssertEqual(try ConfigKeyFile.read(path: path("k")).count, 32)
        XCTAssertThrowsError(try ConfigKeyFile.generate(to: path("k"))) {
            XCTAssertEqual($0 as? ConfigCryptoError, .writeFailed(path: path("k"), reason: "already exists (remove it first)"))
        }
        XCTAssertEqual(try String(contentsOfFile: path("k"), encoding: .utf8), text, "the old key is kept")
        XCTAssertEqual(try entries(), ["k"], "no temporary file is left")
    }

    func testKeyFilesReadableByOthersOrMalformedAreRefused() throws {
        try ConfigKeyFile.generate(to: path("k"))
        chmod(path("k"), 0o644)
        XCTAssertThrowsError(try ConfigKeyFile.read(path: path("k"))) {
            XCTAssertEqual("\($0)", "key file \(path("k")): mode is 644; group and others must have no access (run chmod 600 \(path("k")))")
        }
        chmod(path("k"), 0o400)
        XCTAssertNoThrow(try ConfigKeyFile.read(path: path("k")))

        let raw = try SecureRandom.bytes(32)
        try PrivateFileWriter.write(raw, to: path("raw"))
        XCTAssertTrue(try ConfigKeyFile.read(path: path("raw")).constantTimeEquals(SecretBytes(copying: raw)))
        for (name, contents) in [("short", Array("abcd\n".utf8)), ("nothex", Array(String(repeating: "g", count: 64).utf8)),
                                 ("empty", [])] {
            try PrivateFileWriter.write(contents, to: path(name))
            XCTAssertThrowsError(try ConfigKeyFile.read(path: path(name))) {
                XCTAssertTrue("\($0)".contains("expected 64 hexadecimal characters or exactly 32 bytes"), "\($0)")
            }
        }
        XCTAssertThrowsError(try ConfigKeyFile.read(path: directory)) { XCTAssertTrue("\($0)".contains("not a regular file")) }
        XCTAssertThrowsError(try ConfigKeyFile.read(path: path("missing"))) { XCTAssertTrue("\($0)".contains("no such file")) }
    }

    func testPrivateWritesReplaceAtomicallyAndFailWithoutLeavingFiles() throws {
        try "old".write(toFile: path("out.enc"), atomically: false, encoding: .utf8)
        chmod(path("out.enc"), 0o644)
        try PrivateFileWriter.write(Array("new".utf8), to: path("out.enc"))
        XCTAssertEqual(try String(contentsOfFile: path("out.enc"), encoding: .utf8), "new")
        XCTAssertEqual(mode(path("out.enc")), 0o600)
        XCTAssertThrowsError(try PrivateFileWriter.write(Array("x".utf8), to: path("missing/out.enc")))
        XCTAssertThrowsError(try PrivateFileWriter.write(Array("x".utf8), to: directory)) {
            XCTAssertTrue("\($0)".contains("is a directory"))
        }
        XCTAssertEqual(try entries(), ["out.enc"])
    }

    func testEditReencryptsOnlyAChangedTextAndRemovesThePlaintext() throws {
        let key = ConfigSecret.key(try SecureRandom.secret(32))
        try EncryptedConfig.encryptFile(SecretBytes(copying: Array("uri: test:///default\n".utf8)), to: path("hv.conf.enc"), with: key)
        let before = try Data(contentsOf: URL(fileURLWithPath: path("hv.conf.enc")))
        // The "editor" records where the plaintext is and its mode, then edits it.
        let record = path("record")
        let editor = "stat -c '%n %a' \"$1\" > \(record); ls -ld \"$(dirname \"$1\")\" >> \(record); sed -i s/default/other/"
        XCTAssertEqual(try EncryptedConfigEdit.edit(path: path("hv.conf.enc"), with: key, editorCommand: editor), .rewritten)
        XCTAssertEqual(try String(decoding: EncryptedConfig.decryptFile(at: path("hv.conf.enc"), with: key).withUnsafeBytes { Array($0) },
                                  as: UTF8.self), "uri: test:///other\n")
        let lines = try String(contentsOfFile: record, encoding: .utf8).split(separator: "\n")
        let plaintextPath = String(lines[0].split(separator: " ")[0])
        XCTAssertTrue(plaintextPath.hasSuffix("/hv.conf"), plaintextPath)
        XCTAssertTrue(lines[0].hasSuffix(" 600"), "\(lines[0])")
        XCTAssertTrue(lines[1].hasPrefix("drwx------"), "\(lines[1])")
        XCTAssertFalse(FileManager.default.fileExists(atPath: (plaintextPath as NSString).deletingLastPathComponent),
                       "the directory with the plaintext is gone")

        let rewritten = try Data(contentsOf: URL(fileURLWithPath: path("hv.conf.enc")))
        XCTAssertNotEqual(rewritten, before)
        XCTAssertEqual(try EncryptedConfigEdit.edit(path: path("hv.conf.enc"), with: key, editorCommand: "true"), .unchanged)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("hv.conf.enc"))), rewritten, "unchanged: not rewritten")

        let failing = "echo \"$1\" > \(record); false"
        XCTAssertThrowsError(try EncryptedConfigEdit.edit(path: path("hv.conf.enc"), with: key, editorCommand: failing)) {
            XCTAssertEqual("\($0)", "\(path("hv.conf.enc")): the editor (\(failing)) exited with status 1; the file is unchanged")
        }
        let failedPlaintext = try String(contentsOfFile: record, encoding: .utf8).trimmingCharacters(in: .newlines)
        XCTAssertFalse(FileManager.default.fileExists(atPath: failedPlaintext), "removed after a failed edit too")
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("hv.conf.enc"))), rewritten)
        XCTAssertThrowsError(try EncryptedConfigEdit.edit(path: path("hv.conf.enc"), with: .key(try SecureRandom.secret(32)),
                                                          editorCommand: "true"))
    }

    func testEditorCommandPrefersVisualThenEditorThenVi() {
        XCTAssertEqual(PlaintextEditor.editorCommand(environment: ["VISUAL": "code --wait", "EDITOR": "nano"]), "code --wait")
        XCTAssertEqual(PlaintextEditor.editorCommand(environment: ["VISUAL": " ", "EDITOR": "nano"]), "nano")
        XCTAssertEqual(PlaintextEditor.editorCommand(environment: [:]), "vi")
    }
}
