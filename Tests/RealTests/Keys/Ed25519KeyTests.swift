import Foundation
import Model
import XCTest
@testable import Real

/// Real Ed25519 keys: OpenSSH's encodings, and one key per owner.
final class Ed25519KeyTests: XCTestCase {
    func testPublicKeyLineIsTheOpenSSHWireBlob() throws {
        let pair = try Ed25519KeyPair(comment: "app0")
        let fields = pair.publicKeyLine.split(separator: " ")
        XCTAssertEqual(fields.count, 3)
        XCTAssertEqual(fields[0], "ssh-ed25519")
        XCTAssertEqual(fields[2], "app0")
        let blob = try XCTUnwrap(Data(base64Encoded: String(fields[1])))
        XCTAssertEqual(Array(blob), [0, 0, 0, 11] + Array("ssh-ed25519".utf8) + [0, 0, 0, 32] + pair.publicKey)
        XCTAssertNotEqual(try Ed25519KeyPair(comment: "app0").publicKey, pair.publicKey)
    }

    func testSSHKeygenReadsThePrivateKeyBackToTheSamePublicKey() throws {
        let keygen = "/usr/bin/ssh-keygen"
        guard access(keygen, X_OK) == 0 else { throw XCTSkip("ssh-keygen is not installed (package openssh-client)") }
        var template = Array("/tmp/visag-key-test-XXXXXX".utf8CString)
        let directory = String(cString: try XCTUnwrap(mkdtemp(&template)))
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let pair = try Ed25519KeyPair(comment: "visag/requester/node0/obj3")
        try pair.write(privateKeyTo: directory + "/id")
        var info = stat()
        XCTAssertEqual(stat(directory + "/id", &info), 0)
        XCTAssertEqual(info.st_mode & 0o777, 0o600)
        XCTAssertThrowsError(try pair.write(privateKeyTo: directory + "/id"), "never replaces a key")
        let keygenRun = try SpawnedProcess([keygen, "-y", "-f", directory + "/id"], stdoutPath: directory + "/out",
                                           stderrPath: directory + "/err")
        XCTAssertEqual(keygenRun.wait(), 0, (try? String(contentsOfFile: directory + "/err", encoding: .utf8)) ?? "")
        XCTAssertEqual(try String(contentsOfFile: directory + "/out", encoding: .utf8), pair.publicKeyLine + "\n")
        let text = try String(decoding: pair.openSSHPrivateKey().withUnsafeBytes { Array($0) }, as: UTF8.self)
        XCTAssertTrue(text.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----\n"))
        XCTAssertTrue(text.split(separator: "\n").allSatisfy { $0.count <= 70 })
    }

    func testTheKeySourceGivesOneRealKeyPerOwner() throws {
        let source = Ed25519KeySource()
        let requester = KeyWrite(kind: .requester(ObjectID(4)), app: AppID(1))
        let main = KeyWrite(kind: .mainNode(AppID(1)), app: AppID(1))
        let first = try source.publicKey(for: requester, mainNode: NodeID(0))
        XCTAssertEqual(try source.publicKey(for: requester, mainNode: NodeID(0)), first)
        XCTAssertNotEqual(try source.publicKey(for: main, mainNode: NodeID(0)), first)
        XCTAssertNotEqual(try source.publicKey(for: requester, mainNode: NodeID(1)), first)
        XCTAssertTrue(first.hasPrefix("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI") && first.hasSuffix(" app1"), first)
        XCTAssertEqual(source.keyPair(forPublicKeyLine: first)?.publicKeyLine, first)
        XCTAssertNil(source.keyPair(forPublicKeyLine: KeyIdentity.publicKey(for: requester, mainNode: NodeID(0))))
        XCTAssertEqual(source.keyCount, 3)
        XCTAssertEqual(try IdentityKeySource().publicKey(for: requester, mainNode: NodeID(0)),
                       KeyIdentity.publicKey(for: requester, mainNode: NodeID(0)))
    }
}
