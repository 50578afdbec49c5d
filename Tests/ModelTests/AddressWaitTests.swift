import XCTest
@testable import Model

/// Getting a prepared VM's address (reference flow 4): fixed mode caps the wait with an
/// `addressWaitOver` timer; faithful `addressPollUncapped` polls forever.
final class AddressWaitTests: XCTestCase {
    private let vm0 = VMID(0)

    private func grid(_ fidelity: Fidelity = .fixed, rounds: Int32 = 1, dhcp: DHCPRenewal = .none) -> GridConfig {
        var config = discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual, fidelity: fidelity, rounds: rounds)
        config.addressWaitCapSeconds = 90
        config.dhcpRenewal = dhcp
        return config
    }

    /// Submits `objects` objects and completes vm0's revert; returns the address request's ticket.
    private func reachAddressStep(_ h: inout Harness, objects: Int32 = 1) -> (AppID, UInt32) {
        let app = h.submit(main: 0, objects: objects)
        h.finishHypervisor(on: vm0, .revert)
        guard let ticket = h.pending.lazy.compactMap({ a -> UInt32? in
            if case .obtainAddress(VMID(0), _, let t) = a { return t }; return nil }).first else {
            XCTFail("no address request: \(h.pending)")
            return (app, 0)
        }
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
        return (app, ticket)
    }

    func testFixedStartsACappedWaitAndItsExpiryFailsTheWaitingObjects() {
        var h = Harness(grid())
        let (app, ticket) = reachAddressStep(&h, objects: 2)
        XCTAssertEqual(h.delay(of: .addressWaitOver(vm0, ticket: ticket)), 90)
        h.fire(.addressWaitOver(vm0, ticket: ticket))
        XCTAssertEqual(h.deliveredBodies { b -> ObjectID? in
            if case .objectFailed(app, let o, .addressUnavailable) = b { return o }; return nil }, [ObjectID(0), ObjectID(1)])
        XCTAssertEqual(h.app(app).state, .failed(.addressUnavailable))
        XCTAssertTrue(h.hasFinished(app, succeeded: false, reason: .addressUnavailable))
        XCTAssertNil(h.vm(0).preparation)
        // The address that finally arrives is stale.
        let ignored = h.plane.ignoredEvents
        h.answerAddress(vm: vm0)
        XCTAssertEqual(h.plane.ignoredEvents, ignored + 1)
        XCTAssertTrue(h.launches().isEmpty)
        // No object ever ran in it: the cancels gave the VM straight back to the pool, unrecycled.
        XCTAssertEqual(h.vm(0).holder, .free)
        XCTAssertTrue(h.reports.contains(.vmFreed(vm0)))
        XCTAssertTrue(h.hypervisorOps(on: vm0).isEmpty)
    }

    func testAddressWaitExpiryRetriesWhenRoundsRemain() {
        var h = Harness(grid(rounds: 2))
        let (app, ticket) = reachAddressStep(&h)
        h.fire(.addressWaitOver(vm0, ticket: ticket))
        XCTAssertEqual(h.app(app).state, .paused(nextRound: 2))
        XCTAssertEqual(h.vm(0).holder, .free)
        h.fire(.errorPauseOver(app))
        // vm0 runs (the revert succeeded), so the retry asks for the address again.
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
        XCTAssertTrue(h.hypervisorOps(on: vm0).isEmpty)
    }

    func testTimerAfterTheAddressArrivedDoesNothing() {
        var h = Harness(grid())
        let (app, ticket) = reachAddressStep(&h)
        h.answerAddress(vm: vm0, 5)
        XCTAssertEqual(h.vm(0).address, Address(5))
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
        h.fire(.addressWaitOver(vm0, ticket: ticket))
        XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 1))
        XCTAssertFalse(h.delivered.contains { if case .objectFailed = $0.body { true } else { false } })
    }

    /// The original reads the guest's "ip" variable again while it is empty; only the cap's timer gives up.
    func testNoAddressIsReadAgainUntilTheCapGivesUp() {
        var h = Harness(grid())
        let (app, ticket) = reachAddressStep(&h)
        for _ in 0..<3 {
            h.answerAddress(vm: vm0, nil)
            XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 1))
            XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
            XCTAssertTrue(h.pending.contains { if case .obtainAddress(VMID(0), .none, ticket) = $0 { true } else { false } },
                          "the address is read again under the same ticket: \(h.pending)")
        }
        h.fire(.addressWaitOver(vm0, ticket: ticket))
        XCTAssertEqual(h.app(app).state, .failed(.addressUnavailable))
    }

    func testFaithfulReadsAgainForEverAndGoesOnWhenTheAddressComes() {
        var h = Harness(grid(only(.addressPollUncapped)))
        let (app, _) = reachAddressStep(&h)
        for _ in 0..<5 { h.answerAddress(vm: vm0, nil) }
        XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 1))
        XCTAssertFalse(h.pendingTimers().contains { if case .addressWaitOver = $0 { true } else { false } })
        h.answerAddress(vm: vm0, 7)
        XCTAssertEqual(h.vm(0).address, Address(7))
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
    }

    func testFaithfulPollsWithoutACap() {
        var h = Harness(grid(only(.addressPollUncapped)))
        let (app, _) = reachAddressStep(&h)
        XCTAssertFalse(h.pendingTimers().contains { if case .addressWaitOver = $0 { true } else { false } })
        XCTAssertEqual(h.vm(0).preparation?.step, .obtainingAddress)
        XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 1))
    }

    func testAddressRequestCarriesTheDHCPRenewalPolicy() {
        var h = Harness(grid(dhcp: .reversePing))
        _ = reachAddressStep(&h)
        XCTAssertTrue(h.pending.contains { if case .obtainAddress(VMID(0), .reversePing, _) = $0 { true } else { false } })
    }
}
