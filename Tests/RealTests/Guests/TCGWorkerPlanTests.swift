import Foundation
import Model
import Sim
import XCTest
@testable import Real

/// What `visag run --guests tcg` refuses before it starts anything, and what it would make.
final class TCGWorkerPlanTests: XCTestCase {
    static let base = """
        name: plan
        seed: 1
        mode: virtual-secure
        fidelity: fixed
        platform: {nodes: 2, maxVMs: 2, initialWorkers: 2, numClone: 0, topology: full}
        policies: {placement: discovery, recycle: revert, cloneAheadThreshold: 0}
        workload: {kind: poisson, applications: 1, arrivalRate: 0.01, objects: 1, objectDuration: 1m, mainNode: 0}
        """

    func plan(_ overrides: [String] = [], memoryMiB: Int? = 4096) throws -> TCGWorkerPlan {
        try TCGWorkerPlan(scenario: ScenarioLoader.parse(text: Self.base, file: "plan.yaml", overrides: overrides),
                          availableMemoryMiB: memoryMiB)
    }

    func refusal(_ overrides: [String], memoryMiB: Int? = 4096) -> TCGPlanError? {
        do {
            _ = try plan(overrides, memoryMiB: memoryMiB)
            return nil
        } catch let error as TCGPlanError {
            return error
        } catch {
            XCTFail("not a plan error: \(error)")
            return nil
        }
    }

    func testOneGuestPerWorkerModelStartsWithOnItsLoopbackAddress() throws {
        let plan = try plan()
        XCTAssertEqual(plan.guests.map(\.domainName), ["node0_worker1", "node0_worker2", "node1_worker1", "node1_worker2"])
        XCTAssertEqual(plan.guests.map(\.vm), (0..<4).map { VMID($0) })
        XCTAssertEqual(plan.addresses.map(\.description), ["127.0.0.1", "127.0.0.2", "127.0.1.1", "127.0.1.2"])
        XCTAssertEqual(plan.memoryNeededMiB, 4 * TCGWorkerPlan.memoryPerGuestMiB)
        XCTAssertNoThrow(try self.plan(memoryMiB: nil), "unknown memory is not checked")
    }

    func testCloningScenariosAreRefusedBecauseClonesWouldShareAForward() {
        for overrides in [["policies.cloneAheadThreshold=2"], ["platform.numClone=1"], ["platform.numClone=-1"]] {
            guard case .scenario(let message)? = refusal(overrides) else {
                return XCTFail("\(overrides) was not refused")
            }
            XCTAssertTrue(message.contains("share a forward"), message)
        }
        // The 2012 code's clone-ahead never fires: nothing to refuse there.
        XCTAssertNil(refusal(["fidelity=faithful", "policies.cloneAheadThreshold=2"]))
    }

    func testWorkersWithoutALoopbackAddressAndGridsWithoutWorkersAreRefused() {
        guard case .scenario(let ordinal)? = refusal(["platform.maxVMs=300", "platform.initialWorkers=300"],
                                                     memoryMiB: nil) else { return XCTFail("ordinal 256 accepted") }
        XCTAssertTrue(ordinal.contains("node0_worker256 gets no loopback address"), ordinal)
        guard case .scenario(let mode)? = refusal(["mode=secure"]) else { return XCTFail("no worker VMs accepted") }
        XCTAssertTrue(mode.contains("no worker VMs"), mode)
    }

    func testMoreGuestsThanTheMemoryHoldsIsRefusedWithTheEstimate() {
        guard case .machine(let message)? = refusal([], memoryMiB: 500) else { return XCTFail("4 guests fit in 500 MiB") }
        XCTAssertTrue(message.contains("4 worker guests"), message)
        XCTAssertTrue(message.contains("512 MiB"), message)
        XCTAssertTrue(message.contains("500 MiB available"), message)
        XCTAssertNil(refusal([], memoryMiB: 512))
    }

    func testMissingProgramsNameTheirPackagesOnce() {
        let none = TCGPrerequisites.missingPackages { _ in false }
        XCTAssertEqual(none.count, Set(TCGPrerequisites.tools.map(\.package)).count, "each package once")
        XCTAssertEqual(none.first, "libvirt-daemon")
        XCTAssertEqual(TCGPrerequisites.missingPackages { $0 != "/usr/bin/ssh-keygen" }, ["openssh-client"])
        XCTAssertEqual(TCGPrerequisites.missingTools { $0 != "/usr/bin/tini" }, ["/usr/bin/tini (tini)"])
        XCTAssertEqual(TCGPrerequisites.missingTools { _ in true }, [])
    }

    func testAvailableMemoryIsReadFromMeminfo() {
        XCTAssertEqual(HostMemory.availableMiB(meminfo: "MemTotal: 2048000 kB\nMemAvailable:    1048576 kB\n"), 1024)
        XCTAssertNil(HostMemory.availableMiB(meminfo: "MemTotal: 2048000 kB\n"))
        XCTAssertNil(HostMemory.availableMiB(meminfo: "MemAvailable: lots kB\n"))
        XCTAssertNotNil(HostMemory.availableMiB(), "this machine has /proc/meminfo")
    }
}
