import Model
import XCTest
@testable import Sim

/// The datastore behind the hypervisor: a revert loads the snapshot's memory image, a resume the suspended
/// one, a boot part of the disk, a clone copies the disk; each at `readMBps` on top of its fixed latency.
final class StorageModelTests: XCTestCase {
    static let scenario = PackagePaths.root.appendingPathComponent("Scenarios/policies/storage.yaml").path

    func testReadTimesFollowTheSizesAndTheRate() throws {
        var storage = StorageModel()
        XCTAssertEqual(storage.revertSeconds, 0, "no rate, no reads")
        storage.readMBps = 100
        storage.memoryImageMB = 2048
        storage.bootReadMB = 300
        storage.diskMB = 8000
        XCTAssertEqual(storage.revertSeconds, 20.48, accuracy: 1e-9)
        XCTAssertEqual(storage.resumeSeconds, 20.48, accuracy: 1e-9)
        XCTAssertEqual(storage.bootSeconds, 3, accuracy: 1e-9)
        XCTAssertEqual(storage.cloneSeconds, 160, accuracy: 1e-9)
    }

    func testAFasterDatastoreShortensOnlyThePreparationsThatRevert() throws {
        func creation(_ overrides: [String]) throws -> [Double] {
            var simulation = Simulation(scenario: try ScenarioLoader.load(path: Self.scenario, overrides: overrides))
            let metrics = simulation.run()
            // Under the original creation an object that finds every worker busy fails at once (no second round).
            XCTAssertEqual(metrics.applicationsCompleted + (metrics.failureReasons["noResources"] ?? 0), 60)
            XCTAssertGreaterThanOrEqual(metrics.applicationsCompleted, 58)
            return metrics.creationLatencyPrepared
        }
        let diskNotReady = try creation(["policies.recycle=shutdown", "hypervisor.storage.readMBps=80"])
        let ssdNotReady = try creation(["policies.recycle=shutdown", "hypervisor.storage.readMBps=400"])
        // A preparation that reverts is shorter by the memory image's read time at the two rates (the first
        // application on each worker finds it running after its start-up revert and reads nothing).
        func median(_ xs: [Double]) -> Double { xs.sorted()[xs.count / 2] }
        XCTAssertEqual(median(diskNotReady) - median(ssdNotReady), 2048.0 / 80 - 2048.0 / 400, accuracy: 0.01)
        XCTAssertGreaterThan(diskNotReady.filter { $0 > 2048.0 / 80 }.count, diskNotReady.count * 9 / 10)
        // Recycled by revert, the worker is left running and ready: creation reads nothing (the recycle's own
        // revert happens after the application, off the path of object creation).
        func mean(_ xs: [Double]) -> Double { xs.reduce(0, +) / Double(xs.count) }
        let diskReady = mean(try creation(["hypervisor.storage.readMBps=80"]))
        let ssdReady = mean(try creation(["hypervisor.storage.readMBps=400"]))
        XCTAssertLessThan(diskReady, 3)
        XCTAssertLessThan(ssdReady, 3)
        XCTAssertGreaterThan(mean(diskNotReady) / diskReady, 10)
    }

    func testStorageFieldsAreValidated() {
        XCTAssertThrowsError(try ScenarioLoader.load(path: Self.scenario, overrides: ["hypervisor.storage.readMBps=0"]))
        XCTAssertThrowsError(try ScenarioLoader.load(path: Self.scenario, overrides: ["hypervisor.storage.sizeMB=3"]))
    }
}
