@testable import Bench
import Foundation
import Model
import Real
import XCTest

/// `bench matrix --guests tcg`: one small cell (n = 200, 1 and 2 workers) with each worker inside a
/// QEMU guest under TCG that Model prepared through qemu:///system (revert, address, keys, launch),
/// started there through the forced command, its C blocks back over the guest's loopback forward.
/// Needs root, QEMU and libvirt (skips without them unless VISAG_REQUIRE_QEMU=1, then fails); about
/// a minute, most of it the guests' boot and the emulated products.
final class TCGMatrixTests: XCTestCase {
    static let requireVariable = "VISAG_REQUIRE_QEMU"

    func testGuestsOptionIsCheckedBeforeAnythingStarts() throws {
        func message(_ modes: String, guests: String, uri: String = RealRunOptions.defaultURI) -> String? {
            do {
                _ = try MatrixBenchmarkOptions.parse(sizes: "200", workers: "1", modes: modes, repeats: 1, uri: uri, guests: guests)
                return nil
            } catch MatrixBenchError.badInput(let text) {
                return text
            } catch {
                return "\(error)"
            }
        }
        XCTAssertEqual(message("virtual", guests: "kvm"), "--guests: unknown kind \"kvm\" (choose from simulated, tcg)")
        XCTAssertEqual(message("standard,secure", guests: "tcg"),
                       "--guests tcg needs a mode with worker VMs (--modes virtual,virtual-secure)")
        XCTAssertEqual(message("virtual", guests: "tcg", uri: "qemu+ssh://elsewhere/system"),
                       "--guests tcg boots its guests through qemu:///system; --uri qemu+ssh://elsewhere/system does not go with it")
        let options = try MatrixBenchmarkOptions.parse(sizes: "200", workers: "1", modes: "virtual", repeats: 1, guests: "tcg")
        XCTAssertEqual(options.guests, .tcg)
        XCTAssertEqual(options.uri, "qemu:///system")
        XCTAssertNil(message("virtual", guests: "simulated"))
    }

    func testWorkersComputeInsideTCGGuestsThatModelPrepared() throws {
        var missing: [String] = TCGPrerequisites.isRoot ? [] : ["root (qemu:///system and its libvirtd)"]
        missing += TCGPrerequisites.missingTools()
        if !missing.isEmpty {
            let message = "the TCG matrix test needs: " + missing.joined(separator: ", ")
            if ProcessInfo.processInfo.environment[Self.requireVariable] == "1" {
                XCTFail(message + "; \(Self.requireVariable)=1, so this fails instead of skipping")
                return
            }
            throw XCTSkip(message)
        }
        let launcher = try MatrixTestSupport.launcher()
        let options = try MatrixBenchmarkOptions.parse(sizes: "200", workers: "1,2", modes: "virtual,virtual-secure",
                                                       repeats: 1, warmupRuns: 0, guests: "tcg")
        XCTAssertEqual(options.uri, TCGGuestHost.uri)
        var lines: [String] = []
        let result = try MatrixBenchmark.run(options, launcher: launcher, kernelNote: "") { lines.append($0) }

        // Every product was checked against the local reference (the run throws otherwise).
        XCTAssertEqual(result.cells.map { "\($0.mode.rawValue) w=\($0.workers)" },
                       ["virtual w=1", "virtual w=2", "virtual-secure w=1", "virtual-secure w=2"])
        // The guests' workers report the kernel the image forces on TCG's CPU, not the host's.
        XCTAssertTrue(result.workerKernels.contains("Prescott"), "\(result.workerKernels)")
        for cell in result.cells {
            XCTAssertGreaterThan(cell.vmPrepareSeconds, 0)
            XCTAssertGreaterThan(cell.computeSeconds, 0)
            XCTAssertLessThanOrEqual(cell.maxAbsError, MatrixBenchmarkResult.toleranceFactor * 200)
        }
        XCTAssertEqual(result.preparations.count, 4)
        for preparation in result.preparations {
            XCTAssertTrue(preparation.recycledClean, "\(preparation.mode) w=\(preparation.workers)")
            // Model's revert when preparing and its revert at ApplicationEnd, on the real guests.
            XCTAssertEqual(preparation.revertsPerVM, Array(repeating: 2, count: preparation.workers))
            XCTAssertEqual(preparation.keyWritesPerVM,
                           Array(repeating: preparation.mode == .virtualSecure ? 2 : 0, count: preparation.workers))
            XCTAssertEqual(preparation.addresses, ["127.0.0.1", "127.0.1.1"].prefix(preparation.workers).map { $0 })
        }
        XCTAssertTrue(result.notes.contains { $0.hasPrefix("TCG emulates the guests' CPU") }, "\(result.notes)")
        XCTAssertTrue(result.notes.contains { $0.hasPrefix("2 TCG guests booted") }, "\(result.notes)")
        XCTAssertTrue(lines.contains { $0.hasPrefix("node1_worker1 booted under TCG") }, "\(lines)")
        XCTAssertTrue(MatrixReport.text(result).contains("Each VM is a QEMU guest under TCG"))
        XCTAssertTrue(CleanupRegistry.shared.liveProcessIDs.isEmpty)
        // The guests were removed and the daemon the run started was stopped.
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/var/run/libvirt/libvirt-sock")
                       && (try? LibvirtConnection(uri: TCGGuestHost.uri).lookupDomain(name: "node0_worker1")) != nil)
    }
}
