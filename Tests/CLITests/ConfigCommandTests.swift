import Foundation
import XCTest

/// `visag config` and `visag run --hypervisor-config`, as a user runs them.
final class ConfigCommandTests: XCTestCase {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    var directory: String!

    override func setUpWithError() throws {
        var template = Array("/tmp/visag-config-cli-XXXXXX".utf8CString)
        directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
    }

    override func tearDown() {
        if let directory { try? FileManager.default.removeItem(atPath: directory) }
    }

    func path(_ name: String) -> String { directory + "/" + name }

    /// Runs `visag` with extra environment variables.
    func visag(_ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        let r = try VisagCLI.run(arguments, environment: environment)
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    static let settings = "# the libvirt test driver\nuri: test:///default\nusername: visag\npassword: s3cret-Pa55\n"

    func testKeygenEncryptDecryptRoundTripAndFilesAreOwnerOnly() throws {
        XCTAssertEqual(try visag(["config", "keygen", "--output", path("key")]).status, 0)
        try Self.settings.write(toFile: path("hv.conf"), atomically: true, encoding: .utf8)
        let encrypt = try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", path("hv.conf.enc")])
        XCTAssertEqual(encrypt.status, 0, encrypt.stderr)
        XCTAssertEqual(encrypt.stdout + encrypt.stderr, "")
        for file in ["key", "hv.conf.enc"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: path(file))
            XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600, file)
        }
        let decrypt = try visag(["config", "decrypt", path("hv.conf.enc"), "--key-file", path("key")])
        XCTAssertEqual(decrypt.status, 0, decrypt.stderr)
        XCTAssertEqual(decrypt.stdout, Self.settings)
        XCTAssertEqual(try visag(["config", "keygen", "--output", path("key")]).status, 1, "an existing key is never replaced")
    }

    /// `--out` goes through the output writer: a symlink is kept (its target gets the file), standard output
    /// and /dev/null are written through, a folder is exit 1.
    func testEncryptOutWritesThroughLinksAndDevices() throws {
        XCTAssertEqual(try visag(["config", "keygen", "--output", path("key")]).status, 0)
        try Self.settings.write(toFile: path("hv.conf"), atomically: true, encoding: .utf8)
        XCTAssertEqual(symlink("real.enc", path("link.enc")), 0)
        let linked = try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", path("link.enc")])
        XCTAssertEqual(linked.status, 0, linked.stderr)
        XCTAssertEqual(try FileManager.default.destinationOfSymbolicLink(atPath: path("link.enc")), "real.enc")
        let decrypt = try visag(["config", "decrypt", path("link.enc"), "--key-file", path("key")])
        XCTAssertEqual(decrypt.stdout, Self.settings, decrypt.stderr)
        let attributes = try FileManager.default.attributesOfItem(atPath: path("real.enc"))
        XCTAssertEqual((attributes[.posixPermissions] as? NSNumber)?.intValue, 0o600)
        let stdout = try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", "/dev/stdout"])
        XCTAssertEqual(stdout.status, 0, stdout.stderr)
        XCTAssertTrue(stdout.stdout.hasPrefix("VISAGCFG"), stdout.stdout)
        let null = try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", "/dev/null"])
        XCTAssertEqual(null.status, 0, null.stderr)
        var info = stat()
        XCTAssertEqual(lstat("/dev/null", &info), 0)
        XCTAssertEqual(info.st_mode & S_IFMT, S_IFCHR)
        let folder = try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", directory])
        XCTAssertEqual(folder.status, 1, folder.stderr)
        XCTAssertTrue(folder.stderr.contains("is a directory"), folder.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(),
                       ["hv.conf", "key", "link.enc", "real.enc"])
    }

    func testBadFilesAndKeysAreOneLineNamingTheFileAndExitTwo() throws {
        XCTAssertEqual(try visag(["config", "keygen", "--output", path("key")]).status, 0)
        XCTAssertEqual(try visag(["config", "keygen", "--output", path("other")]).status, 0)
        try Self.settings.write(toFile: path("hv.conf"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", path("hv.enc")]).status, 0)
        let good = try Data(contentsOf: URL(fileURLWithPath: path("hv.enc")))
        var tampered = good
        tampered[tampered.count / 2] ^= 0x40
        try tampered.write(to: URL(fileURLWithPath: path("tampered.enc")))
        try good.prefix(good.count - 5).write(to: URL(fileURLWithPath: path("truncated.enc")))
        var foreign = good
        foreign[0] = UInt8(ascii: "X")
        try foreign.write(to: URL(fileURLWithPath: path("magic.enc")))
        let keyHex = try String(contentsOfFile: path("key"), encoding: .utf8).trimmingCharacters(in: .newlines)

        let cases: [(String, String, String)] = [
            ("hv.enc", "other", "hv.enc: cannot decrypt: wrong key, or the file was modified"),
            ("tampered.enc", "key", "tampered.enc: cannot decrypt: wrong key, or the file was modified"),
            ("truncated.enc", "key", "truncated.enc: truncated: the header announces"),
            ("magic.enc", "key", "magic.enc: not a visag encrypted configuration (bad magic bytes)"),
            ("missing.enc", "key", "missing.enc: no such file or directory"),
        ]
        for (file, key, message) in cases {
            let result = try visag(["config", "decrypt", path(file), "--key-file", path(key)])
            XCTAssertEqual(result.status, 2, "\(file): \(result.stderr)")
            XCTAssertEqual(result.stdout, "", "nothing decrypted is printed")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(message), "\(file): \(result.stderr)")
            XCTAssertFalse(result.stderr.contains(keyHex) || result.stderr.contains("s3cret"), result.stderr)
        }
        chmod(path("key"), 0o640)
        let loose = try visag(["config", "decrypt", path("hv.enc"), "--key-file", path("key")])
        XCTAssertEqual(loose.status, 2)
        XCTAssertTrue(loose.stderr.contains("mode is 640") && loose.stderr.contains("chmod 600"), loose.stderr)
        let neither = try visag(["config", "decrypt", path("hv.enc")])
        XCTAssertEqual(neither.status, 2)
        XCTAssertTrue(neither.stderr.contains("--key-file KEY or --passphrase-env VAR"), neither.stderr)
        let both = try visag(["config", "decrypt", path("hv.enc"), "--key-file", path("key"), "--passphrase-env", "P"])
        XCTAssertEqual(both.status, 2)
    }

    func testPassphraseFromTheEnvironment() throws {
        try Self.settings.write(toFile: path("hv.conf"), atomically: true, encoding: .utf8)
        let passphrase = "correct horse battery staple"
        let env = ["VISAG_TEST_PASSPHRASE": passphrase, "VISAG_TEST_WRONG": "incorrect horse", "VISAG_TEST_SHORT": "abc"]
        let encrypt = try visag(["config", "encrypt", path("hv.conf"), "--passphrase-env", "VISAG_TEST_PASSPHRASE",
                                 "--output", path("hv.enc")], environment: env)
        XCTAssertEqual(encrypt.status, 0, encrypt.stderr)
        let decrypt = try visag(["config", "decrypt", path("hv.enc"), "--passphrase-env", "VISAG_TEST_PASSPHRASE"], environment: env)
        XCTAssertEqual(decrypt.stdout, Self.settings, decrypt.stderr)
        let wrong = try visag(["config", "decrypt", path("hv.enc"), "--passphrase-env", "VISAG_TEST_WRONG"], environment: env)
        XCTAssertEqual(wrong.status, 2)
        XCTAssertEqual(wrong.stderr, "visag: \(path("hv.enc")): cannot decrypt: wrong passphrase, or the file was modified\n")
        let unset = try visag(["config", "decrypt", path("hv.enc"), "--passphrase-env", "VISAG_TEST_UNSET"], environment: env)
        XCTAssertEqual(unset.status, 2)
        XCTAssertTrue(unset.stderr.contains("VISAG_TEST_UNSET: is not set"), unset.stderr)
        let short = try visag(["config", "encrypt", path("hv.conf"), "--passphrase-env", "VISAG_TEST_SHORT",
                               "--output", path("short.enc")], environment: env)
        XCTAssertEqual(short.status, 2)
        XCTAssertFalse(short.stderr.contains("abc"), short.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("short.enc")))
    }

    func testEditUsesTheEditorAndASignalRemovesThePlaintext() throws {
        XCTAssertEqual(try visag(["config", "keygen", "--output", path("key")]).status, 0)
        try Self.settings.write(toFile: path("hv.conf"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", path("hv.enc")]).status, 0)
        let edit = try visag(["config", "edit", path("hv.enc"), "--key-file", path("key")],
                             environment: ["VISUAL": "", "EDITOR": "sed -i s/username:\\ visag/username:\\ admin/"])
        XCTAssertEqual(edit.status, 0, edit.stderr)
        XCTAssertTrue(edit.stderr.contains("re-encrypted"), edit.stderr)
        let decrypted = try visag(["config", "decrypt", path("hv.enc"), "--key-file", path("key")])
        XCTAssertTrue(decrypted.stdout.contains("username: admin\n"), decrypted.stdout)
        let before = try Data(contentsOf: URL(fileURLWithPath: path("hv.enc")))

        // An editor that is still open when visag gets SIGTERM: visag passes it on, removes the plaintext, exits 143.
        // (The editor waits a second first, as a person would: libdispatch arms its signal sources asynchronously.)
        let record = path("plaintext-path")
        let stopped = try visag(["config", "edit", path("hv.enc"), "--key-file", path("key")],
                                environment: ["VISUAL": "echo \"$1\" > \(record); sleep 1; kill -TERM $PPID; sleep 3; true"])
        XCTAssertEqual(stopped.status, 143, stopped.stderr)
        XCTAssertTrue(stopped.stderr.contains("interrupted by signal 15"), stopped.stderr)
        let plaintext = try String(contentsOfFile: record, encoding: .utf8).trimmingCharacters(in: .newlines)
        XCTAssertTrue(plaintext.hasSuffix("/hv"), plaintext)
        XCTAssertFalse(FileManager.default.fileExists(atPath: (plaintext as NSString).deletingLastPathComponent))
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("hv.enc"))), before, "the file is unchanged")
    }

    func testRealRunTakesItsHypervisorFromAnEncryptedFile() throws {
        XCTAssertEqual(try visag(["config", "keygen", "--output", path("key")]).status, 0)
        try "uri: test:///default\n".write(toFile: path("hv.conf"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try visag(["config", "encrypt", path("hv.conf"), "--key-file", path("key"), "--output", path("hv.enc")]).status, 0)
        let run = try visag(["run", "Scenarios/policies/key-routing.yaml", "--backend", "real", "--time-scale", "0.0005",
                             "--hypervisor-config", path("hv.enc"), "--key-file", path("key")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertTrue(run.stdout.contains("backend      real, test:///default"), run.stdout)

        let both = try visag(["run", "Scenarios/quickstart.yaml", "--backend", "real", "--uri", "test:///default",
                              "--hypervisor-config", path("hv.enc"), "--key-file", path("key")])
        XCTAssertEqual(both.status, 2)
        XCTAssertTrue(both.stderr.contains("not both"), both.stderr)
        let noKey = try visag(["run", "Scenarios/quickstart.yaml", "--backend", "real", "--hypervisor-config", path("hv.enc")])
        XCTAssertEqual(noKey.status, 2)
        let sim = try visag(["run", "Scenarios/quickstart.yaml", "--hypervisor-config", path("hv.enc"), "--key-file", path("key")])
        XCTAssertEqual(sim.status, 2)
        XCTAssertTrue(sim.stderr.contains("apply only to --backend real"), sim.stderr)
        try "username: x\npassword: s3cret-Pa55\n".write(toFile: path("nouri.conf"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try visag(["config", "encrypt", path("nouri.conf"), "--key-file", path("key"), "--output", path("nouri.enc")]).status, 0)
        let noURI = try visag(["run", "Scenarios/quickstart.yaml", "--backend", "real", "--hypervisor-config", path("nouri.enc"),
                               "--key-file", path("key")])
        XCTAssertEqual(noURI.status, 2)
        XCTAssertTrue(noURI.stderr.contains("nouri.enc: no `uri:` line"), noURI.stderr)
        XCTAssertFalse(noURI.stderr.contains("s3cret"))
    }
}
