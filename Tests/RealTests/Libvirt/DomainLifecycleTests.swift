import XCTest
import Model
@testable import Real

final class DomainLifecycleTests: LibvirtTestCase {
    func testDefineStartSuspendResumeShutdownDestroyUndefine() throws {
        let name = uniqueName("life")
        let domain = try define(domainXML(name: name), name: name)
        XCTAssertEqual(domain.name, name)
        XCTAssertEqual(domain.uuidString.count, 36)
        XCTAssertTrue(try connection.listDomains().contains(name))
        XCTAssertEqual(try domain.state(), .shutoff)
        XCTAssertEqual(try domain.state().powerState, .off)

        try domain.start()
        XCTAssertEqual(try domain.state(), .running)
        try domain.suspend()
        XCTAssertEqual(try domain.state(), .paused)
        XCTAssertEqual(try domain.state().powerState, .suspended)
        try domain.resume()
        XCTAssertEqual(try domain.state(), .running)
        // The test driver completes a guest shutdown at once; a real guest takes its time.
        try domain.shutdown()
        XCTAssertEqual(try domain.state(), .shutoff)
        try domain.start()
        XCTAssertEqual(try domain.state(), .running)
        try domain.destroy()
        XCTAssertEqual(try domain.state(), .shutoff)

        try domain.undefine()
        XCTAssertFalse(try connection.listDomains().contains(name))
        XCTAssertThrowsError(try connection.lookupDomain(name: name)) { error in
            XCTAssertTrue((error as! LibvirtError).isNotFound)
        }
    }

    func testInvalidTransitionsThrowNamingTheDomain() throws {
        let name = uniqueName("invalid")
        let domain = try define(domainXML(name: name), name: name)
        XCTAssertThrowsError(try domain.suspend()) { error in
            let error = error as! LibvirtError
            // The test driver reports "not running" as an internal error (code 1); QEMU's driver says 55
            // (VIR_ERR_OPERATION_INVALID). Callers must not branch on the code for this.
            XCTAssertEqual(error.code, 1)
            XCTAssertEqual(error.domainName, name)
            XCTAssertTrue(error.description.hasPrefix("libvirt: suspend of domain \"\(name)\" failed: "), error.description)
        }
        try domain.start()
        XCTAssertThrowsError(try domain.start()) { error in
            XCTAssertTrue((error as! LibvirtError).message.contains("already running"), "\(error)")
        }
    }

    func testLookupReturnsTheSameDomain() throws {
        let name = uniqueName("lookup")
        let defined = try define(domainXML(name: name), name: name)
        let found = try connection.lookupDomain(name: name)
        XCTAssertEqual(found.uuidString, defined.uuidString)
        try found.start()
        XCTAssertEqual(try defined.state(), .running)
    }

    func testMACAddressesAreReadFromTheDefinition() throws {
        let name = uniqueName("macs")
        let domain = try define(domainXML(name: name, interfaceCount: 2), name: name)
        let macs = try domain.macAddresses()
        XCTAssertEqual(macs.count, 2)
        for mac in macs {
            XCTAssertTrue(mac.hasPrefix("52:54:00:"), mac)  // libvirt fills in MACs from QEMU's range
        }
        XCTAssertNotEqual(macs[0], macs[1])
        XCTAssertTrue(try domain.xml().contains("<name>\(name)</name>"))
    }

    /// The test driver makes addresses up. These are only compared as strings: nothing may ever connect to them.
    func testInterfaceAddressesFromEverySource() throws {
        let name = uniqueName("addr")
        let domain = try define(domainXML(name: name, interfaceCount: 1), name: name)
        XCTAssertThrowsError(try domain.interfaceAddresses(source: .lease)) { error in
            XCTAssertEqual((error as! LibvirtError).code, 55)  // not running
        }
        try domain.start()
        for source in [InterfaceAddressSource.lease, .agent, .arp] {
            let addresses = try domain.interfaceAddresses(source: source)
            XCTAssertEqual(addresses.count, 1, "\(source)")
            XCTAssertTrue(addresses[0].hasPrefix("192.168."), "\(source): \(addresses)")
            XCTAssertFalse(addresses[0].contains("/"))
        }
    }

    func testStateMapsToTheControlPlanesPowerState() {
        XCTAssertEqual(DomainState(libvirtState: 1).powerState, .running)
        XCTAssertEqual(DomainState(libvirtState: 2), .running)  // blocked on a resource: still running
        XCTAssertEqual(DomainState(libvirtState: 3).powerState, .suspended)
        XCTAssertEqual(DomainState(libvirtState: 5).powerState, .off)
        XCTAssertEqual(DomainState(libvirtState: 6), .crashed)
        XCTAssertNil(DomainState(libvirtState: 6).powerState)
        XCTAssertEqual(DomainState(libvirtState: 4), .other(4))  // shutting down
        XCTAssertNil(DomainState(libvirtState: 7).powerState)
    }
}
