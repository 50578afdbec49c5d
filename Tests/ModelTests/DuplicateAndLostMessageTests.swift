import XCTest
@testable import Model

/// A network that delivers a message twice changes nothing; one that loses a creation
/// message fails the round after the round timeout, and the next round places the object.
final class DuplicateAndLostMessageTests: XCTestCase {
    func testReplayWindowTakesEachSequenceOnceInAnyOrder() {
        var window = ReplayWindow()
        XCTAssertTrue(window.accept(1))
        XCTAssertFalse(window.accept(1))
        XCTAssertTrue(window.accept(5))
        XCTAssertTrue(window.accept(3), "a late message is still new")
        XCTAssertFalse(window.accept(3))
        XCTAssertTrue(window.accept(2))
        XCTAssertTrue(window.accept(300))
        XCTAssertFalse(window.accept(5), "more than the window behind: taken as a duplicate")
        XCTAssertTrue(window.accept(299))
        XCTAssertTrue(window.accept(300 - ReplayWindow.capacity + 1))
        XCTAssertFalse(window.accept(300 - ReplayWindow.capacity + 1))
        XCTAssertTrue(window.accept(100_000))
        XCTAssertFalse(window.accept(300))
    }

    /// Against a set of every sequence taken: steps of every size (within a word, across words,
    /// past the window), late and repeated messages.
    func testReplayWindowAgreesWithASetOfTakenSequences() {
        var window = ReplayWindow()
        var taken = Set<UInt32>()
        var newest: UInt32 = 0
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func draw(_ bound: UInt64) -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (state >> 33) % bound
        }
        for _ in 0..<20_000 {
            let sequence: UInt32
            switch draw(4) {
            case 0: sequence = newest + 1 + UInt32(draw(300))
            case 1: sequence = newest + 1
            default:
                let back = UInt32(draw(300))
                sequence = newest > back ? newest - back : 1
            }
            let expected = sequence > newest
                || (newest - sequence < ReplayWindow.capacity && !taken.contains(sequence))
            XCTAssertEqual(window.accept(sequence), expected, "sequence \(sequence), newest \(newest)")
            if expected { taken.insert(sequence) }
            newest = max(newest, sequence)
        }
    }

    func testADuplicatedReserveBooksOneJob() {
        var h = Harness(centralGrid(nodes: 2))
        var copies: [Message] = []
        h.hold = { message in
            if case .reserve = message.body { copies.append(message) }
            return false
        }
        let app = h.submit(main: 0)
        XCTAssertEqual(copies.count, 1)
        let node = copies[0].to
        XCTAssertEqual(h.plane.nodes[Int(node.index)].jobs, 1)
        let ignored = h.plane.ignoredEvents
        h.plane.handle(.messageDelivered(copies[0]), now: h.now)
        h.pump()
        XCTAssertEqual(h.plane.nodes[Int(node.index)].jobs, 1, "the copy books nothing")
        XCTAssertEqual(h.plane.ignoredEvents, ignored + 1)
        XCTAssertEqual(h.plane.object(ObjectID(0)).app, app)
    }

    func testADuplicatedExecuteStartsTheObjectOnce() {
        var h = Harness(centralGrid(nodes: 1))
        var execute: Message?
        h.hold = { message in
            if case .execute = message.body { execute = message }
            return false
        }
        _ = h.submit(main: 0)
        let copy = try! XCTUnwrap(execute)
        h.plane.handle(.messageDelivered(copy), now: h.now)
        h.pump()
        let reverts = h.pending.filter { if case .hypervisor(_, .revert, _) = $0 { return true }; return false }
        XCTAssertEqual(reverts.count, 1, "one preparation")
        XCTAssertFalse(h.delivered.contains { if case .objectFailed = $0.body { return true }; return false },
                       "the copy is not refused (which would fail the round)")
    }

    func testADuplicatedCapacityMessageIsCountedOnce() {
        var h = Harness(centralGrid(nodes: 1, maxVMs: 1, initial: 1))
        var releases: [Message] = []
        h.hold = { message in
            if case .capacityReleased = message.body { releases.append(message) }
            return false
        }
        let app = h.submit(main: 0)
        _ = app
        // Run the object to its end: revert, address, launch, finish; then the recycle.
        h.finishHypervisor()
        h.answerAddress()
        let object = try! XCTUnwrap(h.launchedObject())
        h.handle(.objectLaunched(object, succeeded: true))
        h.handle(.objectFinished(object, succeeded: true))
        h.finishHypervisor()
        XCTAssertEqual(releases.count, 1)
        let ignored = h.plane.ignoredEvents
        h.plane.handle(.messageDelivered(releases[0]), now: h.now)
        h.pump()
        XCTAssertEqual(h.plane.ignoredEvents, ignored + 1, "the broker took the copy as a duplicate")
        // With one VM and one job slot freed once, two new applications: one placed, one queued.
        _ = h.submit(main: 0)
        _ = h.submit(main: 0)
        XCTAssertEqual(h.reports.filter { if case .applicationQueued = $0 { return true }; return false }.count, 1)
    }

    func testALostReserveFailsTheRoundAfterTheRoundTimeoutAndTheNextRoundPlacesIt() {
        var config = centralGrid(nodes: 1)
        config.roundTimeoutSeconds = 120
        var h = Harness(config)
        var dropped = 0
        h.hold = { message in
            if case .reserve = message.body, dropped == 0 {
                dropped += 1
                return true
            }
            return false
        }
        let app = h.submit(main: 0)
        XCTAssertEqual(h.plane.app(app).state, .reserving(round: 1, pending: 1))
        XCTAssertTrue(h.pendingTimers().contains(.roundTimeout(app, round: 1)))
        h.held.removeAll()
        h.handle(.timerFired(.roundTimeout(app, round: 1)))
        XCTAssertEqual(h.plane.app(app).state, .paused(nextRound: 2))
        h.handle(.timerFired(.errorPauseOver(app)))
        XCTAssertEqual(h.plane.app(app).state, .starting(round: 2, pending: 1))
        // A timeout of a round that moved on changes nothing.
        h.handle(.timerFired(.roundTimeout(app, round: 1)))
        XCTAssertEqual(h.plane.app(app).state, .starting(round: 2, pending: 1))
    }

    func testWithoutARoundTimeoutALostReserveLeavesTheApplicationWaiting() {
        var h = Harness(centralGrid(nodes: 1))
        h.hold = { message in if case .reserve = message.body { return true }; return false }
        let app = h.submit(main: 0)
        XCTAssertFalse(h.pendingTimers().contains { if case .roundTimeout = $0 { return true }; return false })
        XCTAssertEqual(h.plane.app(app).state, .reserving(round: 1, pending: 1))
    }
}

/// The machine running the main accepts every routed worker key; an admin VM must not.
final class MainHostTests: XCTestCase {
    func testRoutedWorkerKeysAreAcceptedWhereTheMainRuns() {
        for host in MainHost.allCases {
            var config = centralGrid(nodes: 2, mode: .virtualSecure)
            config.mainHost = host
            var h = Harness(config)
            let app = h.submit(main: 0)
            h.plane.handle(.messageDelivered(Message(from: NodeID(1), to: NodeID(0), body: .routeVMKey(app, VMID(2)))),
                           now: h.now)
            h.pump()
            let expected: KeyHost = host == .admin ? .adminVM(NodeID(0)) : .userMachine(NodeID(0))
            XCTAssertTrue(h.reports.contains(.vmKeyAccepted(VMID(2), app, at: expected)), "\(host)")
        }
    }
}

/// Completions still on their way when an application fails are late, not impossible.
final class LateCompletionTests: XCTestCase {
    func testACompletionArrivingAfterTheApplicationFailedIsIgnored() {
        var h = Harness(centralGrid(nodes: 1))
        let app = h.submit(main: 0, objects: 2)
        h.finishHypervisor()
        h.answerAddress()
        while let object = h.launchedObjectIfAny() { h.handle(.objectLaunched(object, succeeded: true)) }
        var completion: Message?
        h.hold = { message in
            if case .objectCompleted = message.body { completion = message; return true }
            return false
        }
        h.handle(.objectFinished(ObjectID(1), succeeded: true))
        h.hold = nil
        h.handle(.objectFinished(ObjectID(0), succeeded: false))
        XCTAssertTrue(h.reports.contains(.applicationFinished(app, succeeded: false, reason: .objectCrashed)))
        let ignored = h.plane.ignoredEvents
        h.plane.handle(.messageDelivered(try! XCTUnwrap(completion)), now: h.now)
        XCTAssertEqual(h.plane.ignoredEvents, ignored + 1)
    }
}
