@testable import Bench
import Model
import Real
import XCTest

/// The worker side of key routing: which `authorized_keys` lines a worker accepts.
final class AuthorizedKeysTests: XCTestCase {
    func testModelsRestrictedLinesAreAcceptedAndParsedBackToTheirKeys() throws {
        let keyring = RoutedKeyring()
        let app = AppID(0)
        let writes = [KeyWrite(kind: .mainNode(app), app: app), KeyWrite(kind: .admin(NodeID(1)), app: app),
                      KeyWrite(kind: .requester(ObjectID(1)), app: app)]
        var text = "# written by Model's key routing\n\n"
        var expected: [[UInt8]] = []
        for write in writes {
            let owner = KeyOwner(write, mainNode: NodeID(0))
            text += GuestKeyWrite(write: write, publicKey: try keyring.openSSHPublicKey(of: owner)).authorizedKeysLine + "\n"
            expected.append(try keyring.key(of: owner).rawPublicKey())
        }
        let parsed = try AuthorizedKeys(text: text)
        XCTAssertEqual(parsed.entries.count, 3)
        XCTAssertEqual(parsed.acceptedKeys, expected)
        XCTAssertEqual(parsed.entries[0].options["command"], "popcobjrun")
        XCTAssertTrue(parsed.entries[0].options.keys.contains("no-pty"))
        XCTAssertEqual(parsed.entries[1].comment, "admin/1/app0")
    }

    func testKeysWhoseRestrictionsForbidTheObjectChannelAreRefused() throws {
        let keyring = RoutedKeyring()
        func line(_ options: String, _ node: Int) throws -> String {
            let key = try keyring.openSSHPublicKey(of: .admin(node: NodeID(node), app: nil))
            return options.isEmpty ? key : "\(options) \(key)"
        }
        let text = try [
            line("command=\"popcobjrun\",no-pty", 0),          // Model's: accepted
            line("", 1),                                        // unrestricted: accepted
            line("command=\"popcobjrun\",no-port-forwarding", 2), // no forwarded stream
            line("command=\"rm -rf /\",no-pty", 3),             // another forced command
            line("restrict", 4),                                // restrict without port-forwarding
            line("restrict,port-forwarding,command=\"popcobjrun\"", 5),
        ].joined(separator: "\n")
        let accepted = try AuthorizedKeys(text: text).acceptedKeys
        let expected = try [0, 1, 5].map { try keyring.key(of: .admin(node: NodeID($0), app: nil)).rawPublicKey() }
        XCTAssertEqual(accepted, expected)
    }

    func testMalformedLinesAreErrors() {
        XCTAssertThrowsError(try AuthorizedKeys(text: "ssh-rsa AAAAB3NzaC1yc2E= someone"))
        XCTAssertThrowsError(try AuthorizedKeys(text: "ssh-ed25519 not-base64"))
        XCTAssertThrowsError(try AuthorizedKeys(text: "command=\"popcobjrun ssh-ed25519 AAAA"))
    }
}
