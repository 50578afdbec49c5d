import XCTest
@testable import Model

final class CentralBrokerTests: XCTestCase {
    /// A seeded walk of inserts, removals and level moves across several summary words: the
    /// buckets' first node always equals the brute-force (fewest jobs, lowest id) over the open set.
    func testLoadBucketsAgreeWithBruteForceMinimum() {
        let nodes = 4200  // more than one summary word (64 × 64 nodes)
        var buckets = LoadBuckets(nodeCount: nodes)
        var level = [Int32?](repeating: nil, count: nodes)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func nextRandom(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(bound))
        }
        for step in 0..<1_500 {
            // Mostly the first and last words, so levels empty and refill often.
            let node = nextRandom(4) == 0 ? nextRandom(nodes) : (nextRandom(2) == 0 ? nextRandom(64) : nodes - 1 - nextRandom(64))
            if let current = level[node] {
                buckets.remove(node, level: current)
                level[node] = nextRandom(3) == 0 ? nil : Int32(nextRandom(12))
                if let moved = level[node] { buckets.insert(node, level: moved) }
            } else {
                let load = Int32(nextRandom(12))
                buckets.insert(node, level: load)
                level[node] = load
            }
            var expected: (node: Int, level: Int32)?
            for (i, l) in level.enumerated() {
                guard let l else { continue }
                if expected == nil || l < expected!.level { expected = (i, l) }
            }
            let found = buckets.first()
            XCTAssertEqual(found?.node, expected?.node, "step \(step)")
            XCTAssertEqual(found?.level, expected?.level, "step \(step)")
            if found?.node != expected?.node { return }
        }
        XCTAssertEqual(buckets.count, level.compactMap { $0 }.count)
    }

    /// One node climbing far above the rest holds one slab at a time, not one per count passed.
    func testLoadBucketsMemoryFollowsCountsInUse() {
        var buckets = LoadBuckets(nodeCount: 4200)
        for node in 0..<4200 { buckets.insert(node, level: 3) }
        for level in Int32(3)..<20_000 {
            buckets.remove(7, level: level)
            buckets.insert(7, level: level + 1)
        }
        XCTAssertEqual(buckets.slabCount, 2)
        XCTAssertEqual(buckets.first()?.node, 0)
        for node in 0..<4200 where node != 7 { buckets.remove(node, level: 3) }
        XCTAssertEqual(buckets.first()?.node, 7)
        XCTAssertEqual(buckets.first()?.level, 20_000)
        buckets.remove(7, level: 20_000)
        buckets.insert(9, level: 0)
        XCTAssertEqual(buckets.slabCount, 2)
        XCTAssertEqual(buckets.first()?.node, 9)
    }

    func testEmptyBucketsHaveNoFirstNode() {
        var buckets = LoadBuckets(nodeCount: 3)
        XCTAssertNil(buckets.first())
        buckets.insert(2, level: 5)
        XCTAssertEqual(buckets.first()?.node, 2)
        buckets.remove(2, level: 5)
        XCTAssertNil(buckets.first())
        buckets.insert(1, level: 0)
        XCTAssertEqual(buckets.first()?.node, 1)
        XCTAssertEqual(buckets.first()?.level, 0)
    }

    /// Least loaded first, ties to the lowest id; a node without a free worker is passed over
    /// for a new application but still takes a second object of one it already serves.
    func testBrokerPicksLeastLoadedLowestIdAndReusesChosenNodes() {
        let config = NodeConfig(maxJobs: 3, maxVMs: 1, initialWorkers: 1)
        var broker = CentralBroker(nodes: Array(repeating: config, count: 3), usesWorkerVMs: true)
        XCTAssertTrue(broker.place(count: 1))
        XCTAssertEqual(broker.placement, [NodeID(0)])
        XCTAssertTrue(broker.place(count: 1))
        XCTAssertEqual(broker.placement, [NodeID(1)])
        // Node 2 is the only one with a free worker; the second object shares its VM.
        XCTAssertTrue(broker.place(count: 2))
        XCTAssertEqual(broker.placement, [NodeID(2), NodeID(2)])
        // Every worker is taken: nothing places, and the failed attempt changes nothing.
        XCTAssertFalse(broker.place(count: 1))
        XCTAssertTrue(broker.released(node: NodeID(2), jobs: 2, vms: 1))
        XCTAssertTrue(broker.released(node: NodeID(0), jobs: 1, vms: 1))
        XCTAssertTrue(broker.place(count: 1))
        XCTAssertEqual(broker.placement, [NodeID(0)])
        XCTAssertTrue(broker.place(count: 1))
        XCTAssertEqual(broker.placement, [NodeID(2)])
        // More jobs given back than placed: reported, and the count stops at zero.
        XCTAssertFalse(broker.released(node: NodeID(1), jobs: 5, vms: 1))
        XCTAssertTrue(broker.place(count: 1))
        XCTAssertEqual(broker.placement, [NodeID(1)])
    }

    func testActionBatchKeepsOrderAndClearsWithoutLosingStorage() {
        var batch = ActionBatch(capacity: 2)
        for i in 0..<5 { batch.append(.fetchVMKey(VMID(i), ticket: UInt32(i))) }
        XCTAssertEqual(batch.map { $0 }, (0..<5).map { .fetchVMKey(VMID($0), ticket: UInt32($0)) })
        batch.removeAll()
        XCTAssertTrue(batch.isEmpty)
        batch.append(.fetchVMKey(VMID(9), ticket: 9))
        XCTAssertEqual(Array(batch), [.fetchVMKey(VMID(9), ticket: 9)])
    }
}
