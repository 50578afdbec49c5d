import Foundation
import XCTest
@testable import Real

final class ConnectionTests: LibvirtTestCase {
    func testOpenAndClose() throws {
        let second = try LibvirtConnection(uri: testURI)
        XCTAssertFalse(second.isClosed)
        XCTAssertEqual(second.uri, testURI)
        second.close()
        XCTAssertTrue(second.isClosed)
        second.close()  // idempotent
        XCTAssertThrowsError(try second.listDomains()) { error in
            let error = error as! LibvirtError
            XCTAssertEqual(error.code, 6)  // VIR_ERR_INVALID_CONN
            XCTAssertTrue(error.description.contains("closed"), error.description)
        }
    }

    func testNodeInfoMatchesTheTestDriversFixedHost() throws {
        let info = try connection.nodeInfo()
        // The test driver's fixed host: 16 CPUs (2 NUMA cells × 2 sockets × 2 cores × 2 threads), 3 GiB.
        XCTAssertEqual(info.cpuCount, 16)
        XCTAssertEqual(info.memoryKiB, 3_145_728)
        XCTAssertEqual(info.cpuModel, "i686")
        XCTAssertEqual(info.cpuFrequencyMHz, 1400)
        let freeBytes = try connection.freeMemoryBytes()
        XCTAssertGreaterThan(freeBytes, 0)
        XCTAssertLessThanOrEqual(freeBytes, info.memoryKiB * 1024)
    }

    func testThePredefinedDomainRuns() throws {
        XCTAssertTrue(try connection.listDomains().contains("test"))
        let test = try connection.lookupDomain(name: "test")
        XCTAssertEqual(test.name, "test")
        XCTAssertEqual(test.uuidString, "6695eb01-f6a4-8304-79aa-97f2502e193f")
        XCTAssertEqual(try test.state(), .running)
        XCTAssertEqual(try test.state().powerState, .running)
        XCTAssertEqual(try test.macAddresses(), ["aa:bb:cc:dd:ee:ff"])
    }

    /// Measured: every `test:///default` connection in one process sees the same host while at least one of them
    /// (or an object looked up through one) is alive; a fresh host is built only once the last one is gone.
    func testDefaultURIConnectionsShareOneHostWhileOpen() throws {
        let name = uniqueName("shared")
        _ = try define(domainXML(name: name), name: name)
        let second = try LibvirtConnection(uri: testURI)
        defer { second.close() }
        XCTAssertEqual(try second.lookupDomain(name: name).name, name)
    }

    /// A custom test-driver file with `<auth>` makes the driver ask for a username and password, which exercises
    /// the `virConnectOpenAuth` credential callback without any daemon.
    func testCredentialsAnswerTheDriversQuestions() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("\(uniqueName("auth")).xml")
        try """
            <node><auth><user password='s3cret-pass'>visag</user></auth></node>
            """.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let uri = "test://\(file.path)"

        let authenticated = try LibvirtConnection(uri: uri, username: "visag", password: "s3cret-pass")
        XCTAssertEqual(try authenticated.listDomains(), [])
        authenticated.close()

        XCTAssertThrowsError(try LibvirtConnection(uri: uri, username: "visag", password: "wrong-pass")) { error in
            let error = error as! LibvirtError
            XCTAssertEqual(error.code, 45)  // VIR_ERR_AUTH_FAILED
            XCTAssertFalse(error.description.contains("wrong-pass"), error.description)
            XCTAssertFalse(error.description.contains("visag"), error.description)
            XCTAssertTrue(error.message.contains("authentication failed"), error.description)
            XCTAssertTrue(error.description.hasPrefix("libvirt: open connection to test://"), error.description)
        }
        // Without credentials libvirt has nobody to ask: an invalid-argument error, not an authentication failure.
        XCTAssertThrowsError(try LibvirtConnection(uri: uri)) { error in
            let error = error as! LibvirtError
            XCTAssertEqual(error.code, 8, error.description)  // VIR_ERR_INVALID_ARG
            XCTAssertTrue(error.message.contains("authentication credentials"), error.description)
        }
    }

    func testUserInfoNeverReachesTheLoggedURI() {
        XCTAssertEqual(
            LibvirtConnection.withoutUserInfo("qemu+ssh://admin@host.example/system"), "qemu+ssh://host.example/system")
        XCTAssertEqual(LibvirtConnection.withoutUserInfo("test:///default"), "test:///default")
        XCTAssertEqual(LibvirtConnection.withoutUserInfo("qemu:///system"), "qemu:///system")
    }

    func testStoragePoolAndVolumes() throws {
        let pool = try connection.lookupStoragePool(name: testPool)
        XCTAssertEqual(pool.name, testPool)
        let name = uniqueName("vol") + ".img"
        let volume = try makeVolume(name)
        XCTAssertEqual(volume.name, name)
        XCTAssertEqual(volume.path, "/default-pool/\(name)")
        XCTAssertEqual(try volume.capacityBytes(), 8 * 1024 * 1024)
        XCTAssertEqual(try volume.poolName(), testPool)
        XCTAssertTrue(try pool.volumeNames().contains(name))
        XCTAssertEqual(try connection.lookupStorageVolume(path: volume.path).name, name)
        XCTAssertEqual(try connection.lookupStorageVolume(pool: testPool, name: name).path, volume.path)

        let copyName = uniqueName("copy") + ".img"
        cleanup.volume(copyName)
        let copy = try connection.cloneVolume(from: volume, newName: copyName)
        XCTAssertEqual(copy.path, "/default-pool/\(copyName)")
        XCTAssertEqual(try copy.capacityBytes(), try volume.capacityBytes())

        try copy.delete()
        XCTAssertFalse(try pool.volumeNames().contains(copyName))
        XCTAssertThrowsError(try connection.lookupStorageVolume(path: copy.path)) { error in
            XCTAssertTrue((error as! LibvirtError).isNotFound)
        }
    }
}

/// Not a `LibvirtTestCase`: it needs every connection of the process closed.
final class TestDriverHostLifetimeTests: XCTestCase {
    /// Measured: once the last `test:///default` connection (and every object looked up through it) is gone, the
    /// next open builds a fresh host from the default config. Also fails if anything in this process leaks a
    /// connection or a domain object.
    func testTheHostIsRebuiltOnceTheLastConnectionCloses() throws {
        let name = uniqueName("ephemeral")
        do {
            let first = try LibvirtConnection(uri: testURI)
            let domain = try first.defineDomain(xml: domainXML(name: name))
            XCTAssertEqual(domain.name, name)
            first.close()
        }
        let second = try LibvirtConnection(uri: testURI)
        defer { second.close() }
        XCTAssertFalse(try second.listDomains().contains(name))
        XCTAssertEqual(try second.listDomains(), ["test"])
        print("test driver free memory: \(try second.freeMemoryBytes()) bytes")
    }
}
