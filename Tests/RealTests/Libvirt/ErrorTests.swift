import XCTest
@testable import Real

final class ErrorTests: LibvirtTestCase {
    func testLookingUpAMissingDomainNamesTheDomainAndTheOperation() throws {
        let name = uniqueName("node0_worker")
        XCTAssertThrowsError(try connection.lookupDomain(name: name)) { error in
            guard let error = error as? LibvirtError else { return XCTFail("not a LibvirtError: \(error)") }
            XCTAssertEqual(error.code, 42)  // VIR_ERR_NO_DOMAIN
            XCTAssertTrue(error.isNotFound)
            XCTAssertEqual(error.domainName, name)
            XCTAssertEqual(error.operation, "look up")
            XCTAssertTrue(
                error.description.hasPrefix("libvirt: look up of domain \"\(name)\" failed: "), error.description)
            XCTAssertTrue(error.description.hasSuffix("(code 42)"), error.description)
            XCTAssertFalse(error.description.contains("\n"))
        }
    }

    func testRevertingToAMissingSnapshotNamesTheSnapshot() throws {
        let name = uniqueName("nosnap")
        let domain = try define(domainXML(name: name), name: name)
        XCTAssertThrowsError(try domain.revert(toSnapshot: "popc_clean")) { error in
            guard let error = error as? LibvirtError else { return XCTFail("not a LibvirtError: \(error)") }
            XCTAssertEqual(error.code, 72)  // VIR_ERR_NO_DOMAIN_SNAPSHOT
            XCTAssertTrue(error.isNotFound)
            XCTAssertTrue(
                error.description.hasPrefix(
                    "libvirt: revert to snapshot \"popc_clean\" of domain \"\(name)\" failed: "),
                error.description)
            XCTAssertFalse(error.description.contains("\n"))
        }
        XCTAssertThrowsError(try domain.deleteSnapshot(name: "gone")) { error in
            XCTAssertTrue((error as! LibvirtError).description.contains("delete snapshot \"gone\""))
        }
    }

    func testDefiningBadXMLThrows() {
        XCTAssertThrowsError(try connection.defineDomain(xml: "<domain type='test'><name>x</name>")) { error in
            let error = error as! LibvirtError
            XCTAssertEqual(error.operation, "define")
            XCTAssertFalse(error.description.contains("\n"), error.description)
        }
    }

    func testMultiLineMessagesBecomeOneLine() {
        let error = LibvirtError(
            code: 1, errorDomain: 0, operation: "do\nthing", domainName: "a\nb", message: "line one\n  line two\n")
        XCTAssertEqual(error.description, "libvirt: do thing of domain \"a b\" failed: line one line two (code 1)")
    }

    func testAFailureLeavesNoStaleErrorForTheNextCall() throws {
        XCTAssertThrowsError(try connection.lookupDomain(name: uniqueName("missing")))
        XCTAssertEqual(try connection.lookupDomain(name: "test").name, "test")
    }
}
