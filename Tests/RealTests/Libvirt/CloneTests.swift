import XCTest
@testable import Real

final class CloneTests: LibvirtTestCase {
    /// Flow 7 on the test driver: a running source with two pool disks (one named by path, one by pool and
    /// volume), an install CD-ROM and a writable disk outside any pool.
    func testCloneCopiesPoolDisksAndGivesTheCloneItsOwnIdentity() throws {
        let sourceName = uniqueName("node0_worker1")
        let cloneName = sourceName.replacingOccurrences(of: "worker1", with: "worker2")
        let system = try makeVolume("\(sourceName).img")
        _ = try makeVolume("\(sourceName)-data.img")
        let cdrom = "<disk type='file' device='cdrom'><source file='/srv/install.iso'/><target dev='hdc'/><readonly/></disk>"
        let unpooled = "<disk type='file' device='disk'><source file='/srv/scratch.img'/><target dev='vdj'/></disk>"
        let source = try define(
            domainXML(
                name: sourceName, diskPaths: [system.path],
                volumeDisks: [(pool: testPool, volume: "\(sourceName)-data.img")],
                interfaceCount: 2, extraDevices: cdrom + unpooled),
            name: sourceName)
        try source.start()
        try source.createSnapshot(name: "popc_clean")
        cleanup.domain(cloneName)
        cleanup.volume("\(cloneName).img")
        cleanup.volume("\(cloneName)-data.img")

        let clone = try source.clone(as: cloneName, in: connection)

        XCTAssertEqual(try source.state(), .shutoff, "the source is shut down for cloning")
        XCTAssertEqual(clone.name, cloneName)
        XCTAssertEqual(try connection.lookupDomain(name: cloneName).uuidString, clone.uuidString)
        XCTAssertEqual(clone.uuidString.count, 36)
        XCTAssertNotEqual(clone.uuidString, source.uuidString)
        let expectedMACs = (0..<2).map { DomainXML.macAddress(forDomain: cloneName, interfaceIndex: $0) }
        XCTAssertEqual(try clone.macAddresses(), expectedMACs)
        XCTAssertTrue(Set(try clone.macAddresses()).isDisjoint(with: try source.macAddresses()))
        XCTAssertEqual(try clone.state(), .shutoff)
        XCTAssertEqual(try clone.snapshotNames(), [], "snapshot metadata stays with the source")

        let disks = try DomainXML(xml: clone.xml()).disks
        let byTarget = Dictionary(uniqueKeysWithValues: disks.map { ($0.targetDevice, $0.source) })
        XCTAssertEqual(byTarget["vda"], .file(path: "/default-pool/\(cloneName).img"))
        XCTAssertEqual(byTarget["vdb"], .volume(pool: testPool, volume: "\(cloneName)-data.img"))
        XCTAssertEqual(byTarget["hdc"], .file(path: "/srv/install.iso"), "install media is shared")
        XCTAssertEqual(byTarget["vdj"], .file(path: "/srv/scratch.img"), "a disk in no pool is left as it is")

        let copy = try connection.lookupStorageVolume(path: "/default-pool/\(cloneName).img")
        XCTAssertEqual(try copy.capacityBytes(), try system.capacityBytes())
        XCTAssertEqual(try copy.poolName(), testPool)
        XCTAssertNoThrow(try connection.lookupStorageVolume(pool: testPool, name: "\(cloneName)-data.img"))
        // The source keeps its disks and its clean snapshot.
        XCTAssertEqual(try DomainXML(xml: source.xml()).disks.first?.source, .file(path: system.path))
        XCTAssertEqual(try source.snapshotNames(), ["popc_clean"])

        try clone.start()
        XCTAssertEqual(try clone.state(), .running)
    }

    func testAPausedSourceIsPoweredOffBeforeCloning() throws {
        let sourceName = uniqueName("paused")
        let cloneName = uniqueName("paused-clone")
        let volume = try makeVolume("\(sourceName).img")
        let source = try define(domainXML(name: sourceName, diskPaths: [volume.path]), name: sourceName)
        try source.start()
        try source.suspend()
        cleanup.domain(cloneName)
        cleanup.volume("\(cloneName).img")

        let clone = try source.clone(as: cloneName, in: connection)
        XCTAssertEqual(try source.state(), .shutoff)
        XCTAssertEqual(try DomainXML(xml: clone.xml()).disks.first?.source, .file(path: "/default-pool/\(cloneName).img"))
    }

    /// `on_poweroff=restart` makes the test driver boot the guest again after each shutdown request, like a guest
    /// that ignores ACPI: two graceful tries time out, the third powers it off.
    func testASourceThatWillNotShutDownIsDestroyedOnTheThirdTry() throws {
        let sourceName = uniqueName("stubborn")
        let cloneName = uniqueName("stubborn-clone")
        let xml = domainXML(name: sourceName, interfaceCount: 0)
            .replacingOccurrences(of: "</os>", with: "</os><on_poweroff>restart</on_poweroff>")
        let source = try define(xml, name: sourceName)
        try source.start()
        cleanup.domain(cloneName)
        let waitSeconds = 0.2

        let started = Date()
        let clone = try source.clone(as: cloneName, in: connection, shutdownWaitSeconds: waitSeconds)
        let elapsedSeconds = Date().timeIntervalSince(started)

        XCTAssertEqual(try source.state(), .shutoff)
        XCTAssertEqual(clone.name, cloneName)
        XCTAssertGreaterThanOrEqual(elapsedSeconds, 2 * waitSeconds, "both graceful tries were waited for")
    }

    /// The define step fails (the name is taken): the copied volume is deleted and nothing else changes.
    func testAFailedDefineLeavesNoVolumeOrDomainBehind() throws {
        let sourceName = uniqueName("undo")
        let takenName = uniqueName("taken")
        let volume = try makeVolume("\(sourceName).img")
        _ = try makeVolume("\(sourceName)-data.img")
        let source = try define(
            domainXML(name: sourceName, diskPaths: [volume.path, "/default-pool/\(sourceName)-data.img"]),
            name: sourceName)
        let taken = try define(domainXML(name: takenName), name: takenName)
        cleanup.volume("\(takenName).img")
        cleanup.volume("\(takenName)-data.img")
        let pool = try connection.lookupStoragePool(name: testPool)
        let volumesBefore = try pool.volumeNames()
        let domainsBefore = try connection.listDomains()

        XCTAssertThrowsError(try source.clone(as: takenName, in: connection)) { error in
            guard let error = error as? LibvirtError else { return XCTFail("not a LibvirtError: \(error)") }
            XCTAssertEqual(error.operation, "define")
            XCTAssertEqual(error.domainName, takenName)
            XCTAssertTrue(error.message.contains("already exists"), error.description)
        }

        XCTAssertEqual(try pool.volumeNames(), volumesBefore)
        XCTAssertFalse(try pool.volumeNames().contains("\(takenName).img"))
        XCTAssertEqual(try connection.listDomains(), domainsBefore)
        XCTAssertEqual(try connection.lookupDomain(name: takenName).uuidString, taken.uuidString)
        XCTAssertEqual(try DomainXML(xml: source.xml()).disks.count, 2, "the source is untouched")
    }

    /// The second disk's copy fails (its name is taken in the pool): the first copy is deleted again.
    func testAFailedSecondCopyDeletesTheFirst() throws {
        let sourceName = uniqueName("twodisk")
        let cloneName = uniqueName("twodisk-clone")
        let first = try makeVolume("\(sourceName).img")
        let second = try makeVolume("\(sourceName)-2.img")
        let source = try define(domainXML(name: sourceName, diskPaths: [first.path, second.path]), name: sourceName)
        let squatter = try makeVolume("\(cloneName)-2.img")
        cleanup.volume("\(cloneName).img")
        cleanup.domain(cloneName)
        let pool = try connection.lookupStoragePool(name: testPool)
        let volumesBefore = try pool.volumeNames()

        XCTAssertThrowsError(try source.clone(as: cloneName, in: connection)) { error in
            let error = error as! LibvirtError
            XCTAssertTrue(error.operation.hasPrefix("clone storage volume"), error.description)
        }
        XCTAssertEqual(try pool.volumeNames(), volumesBefore)
        XCTAssertEqual(try pool.lookupVolume(name: squatter.name).path, squatter.path, "a volume it did not make stays")
        XCTAssertFalse(try connection.listDomains().contains(cloneName))
    }

    func testCloningAMissingVolumeDiskFailsCleanly() throws {
        let sourceName = uniqueName("novol")
        let cloneName = uniqueName("novol-clone")
        let source = try define(
            domainXML(name: sourceName, volumeDisks: [(pool: testPool, volume: "\(sourceName)-missing.img")]),
            name: sourceName)
        cleanup.domain(cloneName)
        XCTAssertThrowsError(try source.clone(as: cloneName, in: connection)) { error in
            XCTAssertTrue((error as! LibvirtError).isNotFound)
        }
        XCTAssertFalse(try connection.listDomains().contains(cloneName))
    }
}

final class DomainXMLTests: XCTestCase {
    func testMACsAreLocallyAdministeredDeterministicAndDistinct() {
        let mac = DomainXML.macAddress(forDomain: "node0_worker2", interfaceIndex: 0)
        XCTAssertEqual(mac, DomainXML.macAddress(forDomain: "node0_worker2", interfaceIndex: 0))
        XCTAssertTrue(mac.hasPrefix("52:54:00:"))
        XCTAssertEqual(mac.split(separator: ":").count, 6)
        XCTAssertTrue(mac.allSatisfy { $0 == ":" || $0.isHexDigit })
        // 0x52 = 0101_0010: the locally-administered bit set, the multicast bit clear.
        XCTAssertNotEqual(mac, DomainXML.macAddress(forDomain: "node0_worker2", interfaceIndex: 1))
        XCTAssertNotEqual(mac, DomainXML.macAddress(forDomain: "node0_worker3", interfaceIndex: 0))
        let many = Set((1...200).map { DomainXML.macAddress(forDomain: "node0_worker\($0)", interfaceIndex: 0) })
        XCTAssertEqual(many.count, 200)
    }

    func testTheCloneDefinitionDropsTheSourcesIdentity() throws {
        let source = """
            <domain type='test' id='3'><name>a&amp;b</name><uuid>6695eb01-f6a4-8304-79aa-97f2502e193f</uuid>
            <os><type>hvm</type><nvram template='/usr/share/OVMF/OVMF_VARS.fd'>/var/lib/nvram/a_VARS.fd</nvram></os>
            <devices>
            <disk type='volume' device='disk'><source pool='p' volume='a.img'/><backingStore/><target dev='vda'/></disk>
            <interface type='network'><mac address='aa:bb:cc:dd:ee:ff'/><source network='n'/><target dev='vnet0'/></interface>
            <interface type='user'/>
            </devices></domain>
            """
        let macs = ["52:54:00:00:00:01", "52:54:00:00:00:02"]
        let rewritten = try DomainXML.cloneDefinition(
            of: source, newName: "c<1>", macAddresses: macs, diskSources: ["vda": .file(path: "/p/c.img")])
        let parsed = try DomainXML(xml: rewritten)
        XCTAssertEqual(parsed.name, "c<1>")
        XCTAssertNil(parsed.uuid)
        XCTAssertEqual(parsed.interfaceMACs, macs)
        XCTAssertEqual(parsed.disks.map(\.source), [.file(path: "/p/c.img")])
        XCTAssertFalse(rewritten.contains("vnet0"))
        XCTAssertFalse(rewritten.contains("backingStore"))
        XCTAssertFalse(rewritten.contains("a_VARS.fd"))
        XCTAssertTrue(rewritten.contains("OVMF_VARS.fd"), "the template stays")
        XCTAssertFalse(rewritten.contains("id=\"3\"") || rewritten.contains("id='3'"))
        XCTAssertTrue(rewritten.contains("c&lt;1&gt;"))
    }

    func testTheRewriteRefusesMismatchedInputs() {
        let source = "<domain><name>a</name><devices><interface type='user'/></devices></domain>"
        XCTAssertThrowsError(try DomainXML.cloneDefinition(of: source, newName: "b", macAddresses: [], diskSources: [:]))
        XCTAssertThrowsError(
            try DomainXML.cloneDefinition(
                of: source, newName: "b", macAddresses: ["52:54:00:00:00:01"], diskSources: ["vdz": .file(path: "/x")]))
        XCTAssertThrowsError(try DomainXML(xml: "<volume><name>a</name></volume>"))
    }

    func testCopiedVolumesAreNamedAfterTheClone() {
        XCTAssertEqual(
            LibvirtDomain.cloneVolumeName(
                of: "node0_worker1.qcow2", sourceDomain: "node0_worker1", newDomain: "node0_worker2", targetDevice: "vda"),
            "node0_worker2.qcow2")
        XCTAssertEqual(
            LibvirtDomain.cloneVolumeName(
                of: "base.qcow2", sourceDomain: "node0_worker1", newDomain: "node0_worker2", targetDevice: "vdb"),
            "node0_worker2-vdb.qcow2")
        XCTAssertEqual(
            LibvirtDomain.cloneVolumeName(of: "disk", sourceDomain: "w1", newDomain: "w2", targetDevice: "sda"),
            "w2-sda")
    }

    func testVolumeCloneDefinitionKeepsFormatAndCapacity() throws {
        let source = """
            <volume type='file'><name>a.img</name><key>/p/a.img</key><capacity unit='bytes'>1024</capacity>
            <allocation unit='bytes'>512</allocation><target><path>/p/a.img</path><format type='qcow2'/></target>
            </volume>
            """
        let rewritten = try VolumeXML.cloneDefinition(of: source, newName: "b.img")
        XCTAssertTrue(rewritten.contains("<name>b.img</name>"))
        XCTAssertTrue(rewritten.contains("qcow2"))
        XCTAssertTrue(rewritten.contains("1024"))
        XCTAssertFalse(rewritten.contains("/p/a.img"))
        XCTAssertFalse(rewritten.contains("allocation"))
    }
}
