import XCTest
@testable import Real

final class SnapshotTests: LibvirtTestCase {
    func testCreateListRevertDelete() throws {
        let name = uniqueName("snap")
        let domain = try define(domainXML(name: name), name: name)
        try domain.start()
        XCTAssertEqual(try domain.snapshotNames(), [])

        try domain.createSnapshot(name: "popc_clean", description: "clean state <& \"quoted\">")
        try domain.createSnapshot(name: "second")
        XCTAssertEqual(try domain.snapshotNames(), ["popc_clean", "second"])

        try domain.deleteSnapshot(name: "second")
        XCTAssertEqual(try domain.snapshotNames(), ["popc_clean"])
        try domain.revert(toSnapshot: "popc_clean")
        XCTAssertEqual(try domain.state(), .running)
    }

    /// The worker's clean snapshot is taken running, so reverting brings a suspended or shut-off worker back up.
    func testRevertRestoresTheRunningState() throws {
        let name = uniqueName("revert")
        let domain = try define(domainXML(name: name), name: name)
        try domain.start()
        try domain.createSnapshot(name: "popc_clean")

        try domain.suspend()
        XCTAssertEqual(try domain.state(), .paused)
        try domain.revert(toSnapshot: "popc_clean")
        XCTAssertEqual(try domain.state(), .running)

        try domain.destroy()
        XCTAssertEqual(try domain.state(), .shutoff)
        try domain.revert(toSnapshot: "popc_clean")
        XCTAssertEqual(try domain.state(), .running)
    }

    func testASnapshotOfAShutOffDomainRevertsToShutOff() throws {
        let name = uniqueName("offsnap")
        let domain = try define(domainXML(name: name), name: name)
        try domain.createSnapshot(name: "cold")
        try domain.start()
        try domain.revert(toSnapshot: "cold")
        XCTAssertEqual(try domain.state(), .shutoff)
    }

    func testUndefineRemovesSnapshotMetadataToo() throws {
        let name = uniqueName("undef")
        let domain = try define(domainXML(name: name), name: name)
        try domain.createSnapshot(name: "popc_clean")
        try domain.undefine()
        XCTAssertFalse(try connection.listDomains().contains(name))
    }
}
