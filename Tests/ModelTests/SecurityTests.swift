import XCTest
@testable import Model

/// Secure modes: key writes of Prepare VM (reference flow 4), key routing through the
/// security managers (flow 8) and the SSH restrictions written before every key (report §2.12).
final class SecurityTests: XCTestCase {
    private let node0 = NodeID(0), node1 = NodeID(1)
    private let vm0 = VMID(0), vm1 = VMID(1)

    /// Two nodes 0 - 1 with one worker each, virtual-secure, discovery.
    private func twoNodes(_ fidelity: Fidelity = .fixed, mode: Mode = .virtualSecure) -> GridConfig {
        discoveryGrid(line(2, NodeConfig(maxVMs: 1)), mode: mode, fidelity: fidelity)
    }

    /// Occupies node 0's only VM so that node 0's next application runs on node 1.
    private func occupyNode0(_ h: inout Harness) -> AppID {
        let blocker = h.submit(main: 0)
        XCTAssertEqual(h.vm(0).holder, .application(blocker))
        return blocker
    }

    /// Every action about `vm`, in the order the plane emitted them, as short names.
    private func step(_ action: Action) -> String? {
        switch action {
        case .hypervisor(_, let op, _): op.name
        case .obtainAddress: "address"
        case .fetchVMKey: "fetchKey"
        case .writeKey(_, let write, _):
            switch write.kind {
            case .mainNode: "key:main"
            case .admin: "key:admin"
            case .requester: "key:requester"
            case .worker: "key:worker"
            case .node: "key:node"
            }
        case .launchObject: "launch"
        default: nil
        }
    }

    func testAPreparationThatRevertsWritesTheAdminKeyThenTheRequesterKeyAndRoutesTheVMKeyToTheMainNode() {
        var h = Harness(twoNodes())
        _ = occupyNode0(&h)
        let app = h.submit(main: 0)
        let object = ObjectID(1)
        XCTAssertEqual(h.plane.placement(of: app), [node1])
        // Fixed mode: the Reserve carries the requester key; node 1's PSM stores it.
        let request = h.object(1).request
        XCTAssertTrue(h.delivered.contains(Message(from: node0, to: node1,
                                                   body: .reserve(app, object, request, round: 1, carriesRequesterKey: true))))
        XCTAssertTrue(h.plane.nodes[1].security.requesterKeys.contains(.init(app: app, request: request)))

        var steps: [String] = []
        func record(_ h: Harness) {
            steps += h.pending.filter {
                switch $0 {
                case .hypervisor(vm1, _, _), .obtainAddress(vm1, _, _), .fetchVMKey(vm1, _), .writeKey(vm1, _, _),
                     .launchObject(_, _, _, vm1?, _): true
                default: false
                }
            }.compactMap(step)
        }
        record(h)
        XCTAssertEqual(steps, ["revert"])
        h.finishHypervisor(on: vm1, .revert)
        steps = []; record(h)
        XCTAssertEqual(steps, ["address"])
        h.answerAddress(vm: vm1, 99)
        steps = []; record(h)
        XCTAssertEqual(steps, ["fetchKey"])
        h.answerVMKey(vm: vm1)
        // The VM's own key is rerouted to the main node's security manager.
        XCTAssertTrue(h.delivered.contains(Message(from: node1, to: node0, body: .routeVMKey(app, vm1))))
        XCTAssertEqual(h.plane.nodes[0].security.routedVMKeys, 1)
        XCTAssertEqual(h.plane.nodes[1].security.mainNodeOf[app], node0)
        XCTAssertTrue(h.vm(1).ownKeyFetched)
        // This preparation reverted: the admin VM's key (the main node's key is the requester's here).
        XCTAssertEqual(h.keyWrites(on: vm1), [KeyWrite(kind: .admin(node1), app: app)])
        h.answerKeyWrites(vm: vm1)
        XCTAssertTrue(h.vm(1).adminKeySent)
        // Then the requester's key, taken (and removed) from the (appId, reqId) map.
        XCTAssertFalse(h.plane.nodes[1].security.requesterKeys.contains(.init(app: app, request: request)))
        XCTAssertEqual(h.keyWrites(on: vm1), [KeyWrite(kind: .requester(object), app: app)])
        XCTAssertTrue(h.launches().isEmpty)
        h.answerKeyWrites(vm: vm1)
        // Then the launch, at the address the guest reported.
        XCTAssertTrue(h.pending.contains(.launchObject(object, app, on: node1, vm: vm1, address: Address(99))))
        h.handle(.objectLaunched(object, succeeded: true))
        XCTAssertTrue(h.reports.contains(.objectRunning(object, app, vmWasReady: false)))
    }

    func testOwnKeyIsFetchedOnceRoutedAtEveryPreparationAndTheRunningVMGetsOnlyTheRequesterKey() {
        var h = Harness(twoNodes())
        _ = occupyNode0(&h)
        let first = h.submit(main: 0)
        h.finishHypervisor(on: vm1, .revert)
        h.answerAddress(vm: vm1)
        h.answerVMKey(vm: vm1)
        h.answerKeyWrites(vm: vm1) // admin
        h.answerKeyWrites(vm: vm1) // requester
        XCTAssertEqual(h.launchAll(), [ObjectID(1)])
        h.finishObjects(of: first)
        XCTAssertEqual(h.app(first).state, .completed)
        h.finishHypervisor(on: vm1, .revert) // the recycle
        XCTAssertEqual(h.vm(1).holder, .free)
        XCTAssertFalse(h.vm(1).adminKeySent)

        let second = h.submit(main: 0)
        XCTAssertEqual(h.vm(1).holder, .application(second))
        XCTAssertTrue(h.hypervisorOps(on: vm1).isEmpty) // the recycle left it running
        h.answerAddress(vm: vm1)
        // No second fetch of the VM's own key, but a second route message: every Prepare VM reroutes it.
        XCTAssertFalse(h.pending.contains { if case .fetchVMKey = $0 { true } else { false } })
        XCTAssertEqual(h.deliveredBodies { b -> AppID? in if case .routeVMKey(let a, vm1) = b { return a }; return nil },
                       [first, second])
        // This preparation did not revert: no admin key, only the requester's.
        XCTAssertEqual(h.keyWrites(on: vm1), [KeyWrite(kind: .requester(ObjectID(2)), app: second)])
    }

    func testMainNodeHostingTheObjectSendsNoRouteMessage() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtualSecure))
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        h.answerVMKey(vm: vm0)
        XCTAssertFalse(h.delivered.contains { if case .routeVMKey = $0.body { true } else { false } })
        XCTAssertEqual(h.plane.nodes[0].security.routedVMKeys, 0)
        XCTAssertEqual(h.keyWrites(on: vm0), [KeyWrite(kind: .admin(node0), app: app)])
    }

    func testOneRequesterKeyWritePerPreparationForSeveralObjects() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtualSecure))
        let app = h.submit(main: 0, objects: 3)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        h.answerVMKey(vm: vm0)
        h.answerKeyWrites(vm: vm0)
        let requesterWrites = h.answerKeyWrites(vm: vm0)
        XCTAssertEqual(requesterWrites, [KeyWrite(kind: .requester(ObjectID(0)), app: app)])
        XCTAssertEqual(h.launchAll().sorted(), [ObjectID(0), ObjectID(1), ObjectID(2)])
        XCTAssertEqual(h.app(app).state, .running(remaining: 3))
    }

    func testObjectsWaitUntilTheRequesterKeyIsWritten() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtualSecure))
        _ = h.submit(main: 0, objects: 3)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        h.answerVMKey(vm: vm0)
        h.answerKeyWrites(vm: vm0)
        // The requester key is being written: nothing launches yet.
        XCTAssertEqual(h.keyWrites(on: vm0).count, 1)
        XCTAssertTrue(h.launches().isEmpty)
        XCTAssertTrue(h.plane.vms[0].requesterKeyInFlight)
        h.answerKeyWrites(vm: vm0)
        XCTAssertFalse(h.plane.vms[0].requesterKeyInFlight)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0), ObjectID(1), ObjectID(2)])
    }

    func testGuestAppendWithoutShellReportsEveryKeyAsNotInstalled() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtualSecure, fidelity: only(.guestKeyAppendWithoutShell)))
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        h.answerVMKey(vm: vm0)
        let base = h.answerKeyWrites(vm: vm0)
        let requester = h.answerKeyWrites(vm: vm0)
        let dropped = h.reports.compactMap { if case .keyDropped(vm0, let write) = $0 { return write }; return nil }
        XCTAssertEqual(dropped, base + requester)
        XCTAssertEqual(dropped.count, 2)
        // Every write is carried out the broken way: the driver appends nothing.
        XCTAssertTrue((base + requester).allSatisfy { !$0.installs })
        // The code believes the keys are there and launches anyway (the guest then refuses the connection).
        XCTAssertEqual(h.launches().count, 1)
        XCTAssertEqual(h.app(app).state, .starting(round: 1, pending: 1))
        var fixed = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtualSecure))
        _ = fixed.submit(main: 0)
        fixed.finishHypervisor(on: vm0, .revert)
        fixed.answerAddress(vm: vm0)
        fixed.answerVMKey(vm: vm0)
        fixed.answerKeyWrites(vm: vm0)
        fixed.answerKeyWrites(vm: vm0)
        XCTAssertFalse(fixed.reports.contains { if case .keyDropped = $0 { true } else { false } })
    }

    func testVMKeyForAnEndedApplicationIsDroppedSilentlyOnlyWhenFaithful() {
        for (fidelity, reported) in [(only(.emptyAppIdKeyWriteDropped), false), (Fidelity.fixed, true)] {
            var h = Harness(twoNodes(fidelity))
            _ = occupyNode0(&h)
            let app = h.submit(main: 0)
            h.hold = { if case .routeVMKey = $0.body { true } else { false } }
            h.finishHypervisor(on: vm1, .revert)
            h.answerAddress(vm: vm1)
            h.answerVMKey(vm: vm1)
            // The application ends at the main node before the worker's key arrives there.
            h.plane.handle(.messageDelivered(Message(from: node1, to: node0, body: .applicationEnded(app, nil))), now: 0)
            h.pump()
            h.deliverHeld()
            let dropped = h.reports.contains { if case .keyDropped(vm1, _) = $0 { true } else { false } }
            XCTAssertEqual(dropped, reported, "\(fidelity.enabled)")
        }
    }

    /// `writePKI(emptyPOPAppID, …)`: the discovery answer's write of the main's key and Prepare VM's local write
    /// of the VM's own key go to the first running worker no application ever held (`writePKIToVM` matches the
    /// empty appId); fixed mode keeps them in the security manager.
    func testKeysWrittenWithAnEmptyAppIdLandInTheFirstWorkerNoApplicationHeld() {
        for faithful in [true, false] {
            let fidelity = faithful ? only(.emptyAppIdKeyWriteDropped) : .fixed
            var h = Harness(discoveryGrid([NodeConfig(maxVMs: 2, initialWorkers: 2)], mode: .virtualSecure,
                                          fidelity: fidelity, startupRevert: true, creation: .perObject))
            h.finishHypervisor(on: vm0, .revert)
            h.finishHypervisor(on: vm1, .revert)
            let app = h.submit(main: 0)
            // The main node's own discovery answer: vm0 has never been held, so it gets the main's key ...
            XCTAssertEqual(h.keyWrites(on: vm0).contains(KeyWrite(kind: .mainNode(app), app: app)), faithful)
            // ... and is then reserved for the application; Prepare VM reads its address and fetches its key.
            XCTAssertEqual(h.vm(0).holder, .application(app))
            h.answerAddress(vm: vm0)
            h.answerVMKey(vm: vm0)
            // AllocResource's write of the responder's key and the VM's own key, both with an empty appId, land
            // in vm1: free, held by nobody.
            XCTAssertEqual(h.keyWrites(on: vm1), faithful ? [KeyWrite(kind: .node(NodeID(0)), app: app),
                                                             KeyWrite(kind: .worker(vm0), app: app)] : [], "\(faithful)")
            XCTAssertEqual(h.vm(1).holder, .free)
            XCTAssertEqual(h.vm(1).cleanSinceRevert, !faithful)
        }
    }

    func testFailedGuestCallsFailThePreparationOrTheObject() {
        // The VM's own key cannot be fetched: the preparation fails and the object with it.
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtualSecure))
        let app = h.submit(main: 0)
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        guard let ticket = h.take("fetchVMKey", { if case .fetchVMKey(vm0, let t) = $0 { return t }; return nil }) else { return }
        h.handle(.vmKeyFetched(vm0, ticket: ticket, succeeded: false))
        XCTAssertTrue(h.delivered.contains { $0.body == .objectFailed(app, ObjectID(0), .prepareFailed) })
        XCTAssertNil(h.vm(0).preparation)

        // The requester key cannot be written: the object fails, nothing is launched.
        var k = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtualSecure))
        let other = k.submit(main: 0, objects: 2)
        k.finishHypervisor(on: vm0, .revert)
        k.answerAddress(vm: vm0)
        k.answerVMKey(vm: vm0)
        k.answerKeyWrites(vm: vm0)
        guard let (write, t) = k.take("requester write", { action -> (KeyWrite, UInt32)? in
            if case .writeKey(vm0, let w, let t) = action { return (w, t) }; return nil }) else { return }
        k.handle(.keyWritten(vm0, write, ticket: t, succeeded: false))
        XCTAssertTrue(k.launches().isEmpty)
        let failed = k.delivered.compactMap { m -> ObjectID? in
            if case .objectFailed(other, let o, .prepareFailed) = m.body { return o }; return nil }
        XCTAssertEqual(failed, [ObjectID(0), ObjectID(1)])
    }

    func testVirtualModeWritesNoKeys() {
        var h = Harness(discoveryGrid([NodeConfig(maxVMs: 1)], mode: .virtual))
        let app = h.submit(main: 0)
        XCTAssertTrue(h.delivered.contains { $0.body == .reserve(app, ObjectID(0), h.object(0).request, round: 1, carriesRequesterKey: false) })
        h.finishHypervisor(on: vm0, .revert)
        h.answerAddress(vm: vm0)
        XCTAssertFalse(h.pending.contains { if case .fetchVMKey = $0 { true } else { false } })
        XCTAssertTrue(h.keyWrites(on: vm0).isEmpty)
        XCTAssertEqual(h.launches().map(\.0), [ObjectID(0)])
    }

    func testFaithfulRequesterKeyTravelsWithTheDiscoveryRequestNotTheReserve() {
        var h = Harness(twoNodes(only(.requesterKeyTakeRaces)))
        _ = occupyNode0(&h)
        let app = h.submit(main: 0)
        let request = h.object(1).request
        XCTAssertTrue(h.delivered.contains(Message(from: node0, to: node1,
                                                   body: .reserve(app, ObjectID(1), request, round: 1, carriesRequesterKey: false))))
        // Stored when the discovery request arrived, with the main node it names.
        XCTAssertTrue(h.plane.nodes[1].security.requesterKeys.contains(.init(app: app, request: request)))
        XCTAssertEqual(h.plane.nodes[1].security.mainNodeOf[app], node0)
    }

    func testEndOfTheApplicationForgetsItsKeys() {
        var h = Harness(initiatorClock(twoNodes()))
        _ = occupyNode0(&h)
        let app = h.submit(main: 0)
        h.fire(.execTimeout(ObjectID(1), generation: h.generation(of: ObjectID(1))))
        h.fire(.errorPauseOver(app))
        h.fire(.execTimeout(ObjectID(1), generation: h.generation(of: ObjectID(1))))
        h.fire(.errorPauseOver(app))
        h.fire(.execTimeout(ObjectID(1), generation: h.generation(of: ObjectID(1))))
        XCTAssertEqual(h.app(app).state, .failed(.execTimeout))
        XCTAssertFalse(h.plane.nodes[1].security.requesterKeys.contains { $0.app == app })
        XCTAssertNil(h.plane.nodes[1].security.mainNodeOf[app])
        XCTAssertNil(h.plane.nodes[0].security.mainNodeOf[app])
    }

    // MARK: SSH restrictions

    func testRestrictionsAllowOnlyTheObjectRunCommandAndTunnels() {
        let options = KeyWrite(kind: .admin(node0), app: nil).restrictions.optionString
        XCTAssertEqual(options, "command=\"popcobjrun\",no-pty,no-agent-forwarding,no-X11-forwarding")
        for required in ["command=\"popcobjrun\"", "no-pty", "no-agent-forwarding", "no-X11-forwarding"] {
            XCTAssertTrue(options.contains(required), required)
        }
        // Tunnelling must stay possible.
        XCTAssertFalse(options.contains("no-port-forwarding"))
    }

    func testEveryKeyKindIsWrittenWithTheSameRestrictions() {
        let app = AppID(0)
        for kind in [KeyKind.requester(ObjectID(0)), .mainNode(app), .admin(node1)] {
            XCTAssertEqual(KeyWrite(kind: kind, app: app).restrictions, .popcObjectRun)
        }
    }

    func testAuthorizedKeysLine() {
        let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE worker1"
        let line = SSHRestrictions.popcObjectRun.authorizedKeysLine(for: key)
        XCTAssertEqual(line, "command=\"popcobjrun\",no-pty,no-agent-forwarding,no-X11-forwarding \(key)")
        XCTAssertTrue(line.hasSuffix(" " + key))
        for required in ["command=\"popcobjrun\"", "no-pty", "no-agent-forwarding", "no-X11-forwarding"] {
            XCTAssertTrue(line.contains(required), required)
        }
        XCTAssertFalse(line.contains("no-port-forwarding"))
        // Without any restriction the line is the bare key; forbidding forwarding adds the option.
        let open = SSHRestrictions(command: nil, allowPortForwarding: true, allowPTY: true,
                                   allowAgentForwarding: true, allowX11Forwarding: true)
        XCTAssertEqual(open.authorizedKeysLine(for: key), key)
        var closed = open
        closed.allowPortForwarding = false
        XCTAssertEqual(closed.optionString, "no-port-forwarding")
    }
}
