@testable import Bench
import Foundation
import Model
import Real
import XCTest

/// The virtual modes: worker VMs that Model prepares through the real backend (libvirt's test
/// driver), matrix workers inside them, and the keys Model routed as the only credentials.
final class WorkerVMTests: XCTestCase {
    func testVirtualModePreparesOneVMPerWorkerRunsTheProductThereAndRecyclesThem() throws {
        let launcher = try MatrixTestSupport.launcher()
        let vms = try WorkerVMs.prepare(count: 2, mode: .virtual, uri: RealRunOptions.defaultURI)
        XCTAssertEqual(vms.slots.map(\.guest.domainName), ["node0_worker1", "node1_worker1"])
        XCTAssertEqual(vms.slots.map(\.address.description), ["127.0.0.1", "127.0.1.1"])
        XCTAssertTrue(vms.slots.allSatisfy(\.keyWrites.isEmpty), "virtual routes no keys")
        XCTAssertGreaterThan(vms.prepareSeconds, 0)

        let group = try WorkerGroup.start(mode: .virtual, count: 2, launcher: launcher, credentials: nil, ssh: nil, vms: vms)
        defer { group.shutdown() }
        try checkProduct(over: group)
        let recycle = try XCTUnwrap(try group.end())
        XCTAssertTrue(recycle.clean)
        // The preparation's revert and the recycle's.
        XCTAssertEqual(recycle.revertsPerVM, [2, 2])
        XCTAssertLessThan(recycle.seconds, 5)
        XCTAssertTrue(CleanupRegistry.shared.liveProcessIDs.isEmpty)
    }

    func testVirtualSecureWorkersGetExactlyTheKeysModelRoutedToTheirVM() throws {
        let launcher = try MatrixTestSupport.launcher()
        let vms = try WorkerVMs.prepare(count: 2, mode: .virtualSecure, uri: RealRunOptions.defaultURI)
        for slot in vms.slots {
            // Model's Prepare VM that reverted: the admin key, then the requester's (the main's own key).
            XCTAssertEqual(slot.keyWrites, [KeyWrite(kind: .admin(slot.node), app: vms.app),
                                            KeyWrite(kind: .requester(slot.object), app: vms.app)])
        }
        let keyring = RoutedKeyring()
        let group = try WorkerGroup.start(mode: .virtualSecure, count: 2, launcher: launcher, credentials: nil, ssh: nil,
                                          vms: vms, keyring: keyring)
        defer { group.shutdown() }
        try checkProduct(over: group)
        let recycle = try XCTUnwrap(try group.end())
        XCTAssertTrue(recycle.clean)
        // Model's ApplicationEnd recycles at once (no timer in between).
        XCTAssertLessThan(recycle.seconds, 5)
    }

    /// A worker of the cell's application refuses every key Model did not route to its VM: the
    /// admin key Model wrote into the application's other VM, another application's main node
    /// key, a key nobody routed; it accepts the main node's key Model wrote into it.
    func testAWorkerRefusesKeysModelDidNotRouteToIt() throws {
        let launcher = try MatrixTestSupport.launcher()
        let vms = try WorkerVMs.prepare(count: 2, mode: .virtualSecure, uri: RealRunOptions.defaultURI)
        defer { vms.abandon() }
        let keyring = RoutedKeyring()
        let slot = vms.slots[1]
        let other = vms.slots[0]
        XCTAssertEqual(slot.address.description, "127.0.1.1")
        let worker = try RoutedCredentials.worker(slot, mainNode: vms.mainNode, keyring: keyring)
        let routedElsewhere = KeyOwner(KeyWrite(kind: .admin(other.node), app: vms.app), mainNode: vms.mainNode)
        XCTAssertTrue(other.keyWrites.contains(KeyWrite(kind: .admin(other.node), app: vms.app)))
        XCTAssertFalse(slot.keyWrites.contains(KeyWrite(kind: .admin(other.node), app: vms.app)))
        let refused: [KeyOwner] = [routedElsewhere, .mainNode(app: AppID(Int(vms.app.index) + 1), node: vms.mainNode),
                                   .vm(domain: "nobody")]
        for owner in refused {
            XCTAssertThrowsError(try exchange(with: slot, worker: worker, presenting: owner, keyring: keyring, launcher: launcher),
                                 "\(owner) was accepted") { error in
                XCTAssertTrue("\(error)".contains("bad certificate"), "\(owner): \(error)")
            }
        }
        XCTAssertNoThrow(try exchange(with: slot, worker: worker, presenting: .mainNode(app: vms.app, node: vms.mainNode),
                                      keyring: keyring, launcher: launcher))
        // And the main node accepts from a worker only its VM's own key.
        let impostor = RoutedCredentials.Worker(
            authorizedKeys: worker.authorizedKeys,
            identity: try keyring.identity(of: .vm(domain: other.guest.domainName), address: slot.address.description),
            vmPublicKey: worker.vmPublicKey)
        XCTAssertThrowsError(try exchange(with: slot, worker: impostor, presenting: .mainNode(app: vms.app, node: vms.mainNode),
                                          keyring: keyring, launcher: launcher))
    }

    // MARK: Helpers

    private func checkProduct(over group: WorkerGroup, size n: Int = 64) throws {
        let (a, b, reference) = try MatrixTestSupport.inputs(size: n)
        let c = try DenseMatrix(rows: n, columns: n)
        c.storage.update(repeating: .nan, count: c.count)
        _ = try DistributedProduct.multiply(a, b, into: c, over: group)
        XCTAssertLessThanOrEqual(c.maxAbsDifference(reference), MatrixBenchmarkResult.toleranceFactor * Double(n))
    }

    /// Starts one worker in `slot`'s VM with its routed credentials, connects presenting
    /// `owner`'s key and asks for one dgemm rate; throws if the worker refuses the key.
    private func exchange(with slot: WorkerVMs.Slot, worker: RoutedCredentials.Worker, presenting owner: KeyOwner,
                          keyring: RoutedKeyring, launcher: WorkerLauncher) throws {
        let process = try ChildProcess(name: "worker", arguments: launcher.worker(channel: .tlsKeys, address: slot.address.description),
                                       environment: launcher.workerEnvironment, stdin: .pipe, stdout: .pipe, stderr: .null)
        defer {
            CleanupRegistry.terminate([process])
            CleanupRegistry.shared.unregister(process)
        }
        try process.writeStdin(WorkerGroup.block(try worker.identity.pem()) + WorkerGroup.block(Array(worker.authorizedKeys.utf8)))
        let line = try process.readStdout(until: MatrixWorker.readyMarker, timeoutSeconds: 30)
        let port = try XCTUnwrap(WorkerGroup.fields(of: line)["port"].flatMap(UInt16.init))
        let context = try TLSContext(identity: try keyring.identity(of: owner, address: "127.0.0.1"),
                                     pinned: TLSPinnedKeys([worker.vmPublicKey]), role: .client)
        let channel = try TLSChannel(fd: try LoopbackSocket.connect(host: slot.address.raw, port: port), context: context,
                                     label: "TLS to \(slot.address)", handshakeTimeoutSeconds: 5)
        defer { channel.close() }
        // TLS 1.3: the worker checks the client's key after the client's handshake returns, so
        // a refusal shows on the first exchange.
        try Frame.send(.calibrate, values: [8], on: channel)
        _ = try Frame.receiveValues(try Frame.expect(.rates, rows: 1, columns: 1, from: channel), from: channel)
    }
}
