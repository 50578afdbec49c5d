import Foundation
import Sim
import Model
import XCTest
@testable import Real

final class DriverPartsTests: XCTestCase {
    func testTimersComeOutByDeadlineThenInSchedulingOrder() {
        var heap = TimerHeap<Int>()
        let now = ContinuousClock.now
        heap.push(3, at: now + .milliseconds(30))
        heap.push(1, at: now + .milliseconds(10))
        heap.push(2, at: now + .milliseconds(10))
        heap.push(0, at: now)
        heap.push(4, at: now + .seconds(5))
        var out: [Int] = []
        while let next = heap.popDue(notAfter: now + .milliseconds(30)) { out.append(next) }
        XCTAssertEqual(out, [0, 1, 2, 3])
        XCTAssertEqual(heap.count, 1)
        XCTAssertEqual(heap.earliestDeadline, now + .seconds(5))
    }

    func testTheLoopDeliversPostsInOrderAndWaitsForTimers() {
        let loop = EventLoop<Int>()
        var batch: [Int] = []
        XCTAssertFalse(loop.nextBatch(into: &batch, othersMayPost: false), "nothing to wait for")
        loop.schedule(-1, afterWallSeconds: 0.05)
        DispatchQueue.global().async { for i in 0..<100 { loop.post(i) } }
        var seen: [Int] = []
        let clock = ContinuousClock()
        let start = clock.now
        while !seen.contains(-1) {
            XCTAssertTrue(loop.nextBatch(into: &batch, othersMayPost: true))
            seen += batch
        }
        XCTAssertEqual(seen.filter { $0 >= 0 }, Array(0..<100), "posts are FIFO")
        XCTAssertGreaterThanOrEqual(start.duration(to: clock.now), .milliseconds(50), "the timer waited")
    }

    func testAPoolKeepsALanesJobsInOrderAndRunsLanesInParallel() {
        let pool = BlockingWorkPool(threadCount: 3, name: "test-pool")
        let order = Locked<[Int: [Int]]>([:])
        for job in 0..<30 {
            pool.submit(lane: job % 3) {
                Thread.sleep(forTimeInterval: 0.001)
                order.withLock { $0[job % 3, default: []].append(job) }
            }
        }
        pool.waitUntilIdle()
        for lane in 0..<3 {
            XCTAssertEqual(order.withLock { $0[lane] }, Array(stride(from: lane, to: 30, by: 3)))
        }
        pool.shutdown()
        pool.shutdown()
    }

    func testGuestAddressesAreLoopbackPerNodeAndOrdinal() {
        let guest = GuestTarget(vm: VMID(7), node: NodeID(3), ordinal: 2, domainName: "node3_worker2")
        let address = SimulatedGuestChannel.address(of: guest)
        XCTAssertEqual(address?.description, "127.0.3.2")
        XCTAssertEqual(address?.isLoopback, true)
        XCTAssertEqual(address?.modelAddress?.raw, 0x7F00_0302)
        let far = GuestTarget(vm: VMID(0), node: NodeID(300), ordinal: 1, domainName: "node300_worker1")
        XCTAssertEqual(SimulatedGuestChannel.address(of: far)?.description, "127.1.44.1")
        let tooMany = GuestTarget(vm: VMID(0), node: NodeID(0), ordinal: 256, domainName: "node0_worker256")
        XCTAssertNil(SimulatedGuestChannel.address(of: tooMany))
    }

    func testTheSimulatedGuestFollowsRevertsAndClones() throws {
        let channel = SimulatedGuestChannel()
        let a = GuestTarget(vm: VMID(0), node: NodeID(0), ordinal: 1, domainName: "node0_worker1")
        let b = GuestTarget(vm: VMID(1), node: NodeID(0), ordinal: 2, domainName: "node0_worker2")
        let write = KeyWrite(kind: .mainNode(AppID(4)), app: AppID(4))
        let key = GuestKeyWrite(write: write, publicKey: KeyIdentity.publicKey(for: write, mainNode: NodeID(1)))
        try channel.writeKey(key, to: a)
        XCTAssertEqual(channel.authorizedKeys(of: a.vm), [key.authorizedKeysLine])
        channel.hypervisorDidReset(b, .clonedFrom(a))
        XCTAssertEqual(channel.authorizedKeys(of: b.vm), [key.authorizedKeysLine], "a clone copies its source's disk")
        channel.hypervisorDidReset(a, .reverted)
        XCTAssertEqual(channel.authorizedKeys(of: a.vm), [])
        XCTAssertEqual(try channel.fetchVMKey(of: a), KeyIdentity.vmKey(domainName: "node0_worker1"))
    }

    func testKeysAreDeterministicIdentitiesWithTheRestrictions() {
        let write = KeyWrite(kind: .requester(ObjectID(12)), app: AppID(3))
        let key = KeyIdentity.publicKey(for: write, mainNode: NodeID(2))
        XCTAssertEqual(key, KeyIdentity.publicKey(for: write, mainNode: NodeID(2)))
        XCTAssertTrue(key.hasPrefix("ssh-ed25519 "))
        XCTAssertTrue(key.hasSuffix(" app3"))
        let line = GuestKeyWrite(write: write, publicKey: key).authorizedKeysLine
        XCTAssertEqual(line, "command=\"popcobjrun\",no-pty,no-agent-forwarding,no-X11-forwarding \(key)")
        XCTAssertEqual(KeyIdentity.owner(ofKeyLine: line), "visag/requester/node2/obj12")
        XCTAssertTrue(KeyIdentity.publicKey(for: KeyWrite(kind: .admin(NodeID(0)), app: nil), mainNode: NodeID(0))
            .hasSuffix(" app-none"))
    }
}
