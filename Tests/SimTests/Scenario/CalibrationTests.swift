import Foundation
import Model
import XCTest
@testable import Sim

/// The log-normal fit behind `visag calibrate`, its file, and the VM preparations `visag validate` compares.
final class CalibrationTests: XCTestCase {
    func testTheFitIsTheMaximumLikelihoodEstimate() throws {
        let samples = [1.0, 2.0, 4.0, 8.0]
        let fit = try XCTUnwrap(LognormalFit(samples: samples))
        let logs = samples.map { log($0) }
        let mu = logs.reduce(0, +) / 4
        // Divided by n, not n - 1.
        let sigma = sqrt(logs.map { ($0 - mu) * ($0 - mu) }.reduce(0, +) / 4)
        XCTAssertEqual(fit.mu, mu, accuracy: 1e-12)
        XCTAssertEqual(fit.sigma, sigma, accuracy: 1e-12)
        XCTAssertEqual(fit.median, sqrt(8), accuracy: 1e-12)
        XCTAssertEqual(fit.count, 4)
        // D by hand: the fitted CDF at each sample against the steps i/n.
        let cdf = samples.map { 0.5 * erfc(-(log($0) - mu) / (sigma * sqrt(2))) }
        var d = 0.0
        for (i, f) in cdf.enumerated() { d = max(d, Double(i + 1) / 4 - f, f - Double(i) / 4) }
        XCTAssertEqual(fit.ksStatistic, d, accuracy: 1e-9)
    }

    func testTheFitRecoversTheParametersOfDrawnSamples() throws {
        let stream = RandomStream(seed: 11, stream: .node(0))
        let truth = Distribution.lognormal(median: 0.8, sigma: 0.3)
        let fit = try XCTUnwrap(LognormalFit(samples: (0..<20_000).map { _ in truth.sample(stream) }))
        XCTAssertEqual(fit.median, 0.8, accuracy: 0.01)
        XCTAssertEqual(fit.sigma, 0.3, accuracy: 0.01)
        XCTAssertLessThan(fit.ksStatistic, 0.02, "log-normal samples fit a log-normal")
        let uniform = try XCTUnwrap(LognormalFit(samples: (1...2000).map { Double($0) }))
        XCTAssertGreaterThan(uniform.ksStatistic, 0.1, "evenly spread samples do not")
    }

    func testSamplesThatCannotBeFitted() {
        XCTAssertNil(LognormalFit(samples: []))
        XCTAssertNil(LognormalFit(samples: [1]))
        XCTAssertNil(LognormalFit(samples: [1, 0]))
        XCTAssertNil(LognormalFit(samples: [1, -2]))
        XCTAssertNil(LognormalFit(samples: [1, .nan]))
        let same = LognormalFit(samples: [0.5, 0.5, 0.5])
        XCTAssertEqual(same?.sigma, 0)
        XCTAssertEqual(same?.median ?? 0, 0.5, accuracy: 1e-15)
    }

    /// Fitted file -> scenario including it -> the very same parameters, bit for bit.
    func testTheCalibrationFileRoundTripsThroughAnInclude() throws {
        var calibration = Calibration()
        let stream = RandomStream(seed: 3, stream: .node(0))
        var fits: [Calibration.Field: LognormalFit] = [:]
        for (index, field) in Calibration.Field.allCases.enumerated() {
            let truth = Distribution.lognormal(median: 0.001 * Double(index + 1), sigma: 0.2)
            fits[field] = calibration.add(field, samples: (0..<7).map { _ in truth.sample(stream) })
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("visag-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = calibration.yaml(header: ["a test"])
        XCTAssertTrue(text.hasPrefix("# a test\nhypervisor:\n  revert: {lognormal: {median: "), text)
        try text.write(to: directory.appendingPathComponent("cal.yaml"), atomically: true, encoding: .utf8)
        let main = directory.appendingPathComponent("main.yaml").path
        try "include: cal.yaml\nname: with-calibration\n".write(toFile: main, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: main)
        for field in Calibration.Field.allCases {
            let fit = try XCTUnwrap(fits[field])
            XCTAssertEqual(field.distribution(in: scenario), .lognormal(median: fit.median, sigma: fit.sigma), field.path)
        }
    }

    func testScalingADistribution() {
        XCTAssertEqual(Distribution.lognormal(median: 2, sigma: 0.3).scaled(by: 10), .lognormal(median: 20, sigma: 0.3))
        XCTAssertEqual(Distribution.uniform(low: 1, high: 2).scaled(by: 2), .uniform(low: 2, high: 4))
        XCTAssertEqual(Distribution.empirical(values: [1, 3]).scaled(by: 3), .empirical(values: [3, 9]))
    }

    func testPreparationsAreReadFromModelsActions() {
        var times = PreparationTimes()
        let vm = VMID(0)
        let other = VMID(1)
        // The start-up revert: no application holds the VM, so no preparation.
        times.observe(.hypervisor(vm, .revert, ticket: 1), modelSeconds: 0)
        times.observe(.report(.vmFreed(vm)), modelSeconds: 1)
        // Reserved, then prepared from a revert; the launch ends it.
        times.observe(.report(.vmReserved(vm, AppID(0))), modelSeconds: 10)
        times.observe(.hypervisor(vm, .revert, ticket: 2), modelSeconds: 12)
        times.observe(.obtainAddress(vm, .none, ticket: 2), modelSeconds: 14)
        times.observe(.launchObject(ObjectID(0), AppID(0), on: NodeID(0), vm: vm, address: nil), modelSeconds: 15.5)
        // A second object in the prepared VM counts nothing.
        times.observe(.launchObject(ObjectID(1), AppID(0), on: NodeID(0), vm: vm, address: nil), modelSeconds: 16)
        // The recycle at the end is no preparation.
        times.observe(.hypervisor(vm, .revert, ticket: 3), modelSeconds: 20)
        times.observe(.report(.vmFreed(vm)), modelSeconds: 21)
        // A running VM: the preparation starts with the address read.
        times.observe(.report(.vmReserved(other, AppID(1))), modelSeconds: 30)
        times.observe(.obtainAddress(other, .none, ticket: 1), modelSeconds: 31)
        times.observe(.launchObject(ObjectID(2), AppID(1), on: NodeID(1), vm: other, address: nil), modelSeconds: 33)
        XCTAssertEqual(times.seconds, [3.5, 2])
    }
}
