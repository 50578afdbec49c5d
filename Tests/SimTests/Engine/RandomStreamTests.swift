import XCTest
import Sim

final class RandomStreamTests: XCTestCase {
    private func uniforms(_ stream: RandomStream, count: Int) -> [Double] {
        (0..<count).map { _ in stream.uniform() }
    }

    func testSameSeedAndKeyGiveIdenticalSequences() {
        let a = RandomStream(seed: 42, stream: .node(3))
        let b = RandomStream(seed: 42, stream: .node(3))
        for _ in 0..<1000 {
            XCTAssertEqual(a.uniform().bitPattern, b.uniform().bitPattern)
            XCTAssertEqual(a.uniformInt(below: 97), b.uniformInt(below: 97))
            XCTAssertEqual(a.bernoulli(0.3), b.bernoulli(0.3))
        }
    }

    func testDifferentKeyOrSeedGivesDifferentSequences() {
        let reference = uniforms(RandomStream(seed: 42, stream: .node(3)), count: 16)
        let others: [RandomStream] = [
            RandomStream(seed: 42, stream: .node(4)),
            RandomStream(seed: 42, stream: .vm(3)),
            RandomStream(seed: 43, stream: .node(3)),
            RandomStream(seed: 42, stream: .dhcp(area: 3)),
            RandomStream(seed: 42, stream: .workload),
            RandomStream(seed: 42, stream: .custom(kind: 256, index: 3)),
        ]
        for other in others {
            XCTAssertNotEqual(uniforms(other, count: 16), reference, "\(other.key) repeats node(3)")
        }
    }

    func testAddingANodeDoesNotChangeAnotherNodesDraws() {
        let alone = uniforms(RandomStream(seed: 7, stream: .node(3)), count: 100)

        // Same scenario with node 5 added and drawing interleaved with node 3.
        let node5 = RandomStream(seed: 7, stream: .node(5))
        let node3 = RandomStream(seed: 7, stream: .node(3))
        var withNeighbour: [Double] = []
        for _ in 0..<100 {
            _ = node5.uniform()
            _ = node5.uniformInt(below: 10)
            withNeighbour.append(node3.uniform())
        }
        XCTAssertEqual(withNeighbour, alone)
    }

    func testSplitMix64MatchesReferenceOutput() {
        // First output of the reference splitmix64 generator seeded with 0.
        XCTAssertEqual(RandomStream.splitMix64(0), 0xE220_A839_7B1D_CDAF)
    }

    func testSequencesArePinnedAcrossReleases() {
        // Scenario results are only reproducible if seed derivation and the
        // generator never change; this pins both.
        let stream = RandomStream(seed: 2024, stream: .node(1))
        XCTAssertEqual(stream.generatorSeed, Self.pinnedSeed)
        XCTAssertEqual(RandomStream.deriveGeneratorSeed(seed: 2024, stream: .node(1)), Self.pinnedSeed)
        XCTAssertEqual(uniforms(stream, count: 3), Self.pinnedDraws)
    }

    static let pinnedSeed: UInt32 = 4_012_311_827
    static let pinnedDraws: [Double] = [0.15520993061363697, 0.4108727958519012, 0.11075301910750568]

    func testGeneratorSeedIsNeverZero() {
        for index in 0..<10_000 {
            XCTAssertNotEqual(RandomStream.deriveGeneratorSeed(seed: 1, stream: .vm(index)), 0)
        }
    }

    func testKeysDoNotCollideAcrossKindsOrIndices() {
        var seen = Set<UInt32>()
        for index in 0..<1000 {
            for key in [StreamKey.node(index), .vm(index), .dhcp(area: index)] {
                seen.insert(RandomStream.deriveGeneratorSeed(seed: 99, stream: key))
            }
        }
        XCTAssertEqual(seen.count, 3000)
    }

    func testUniformStaysInUnitInterval() {
        let stream = RandomStream(seed: 1, stream: .network)
        for _ in 0..<100_000 {
            let u = stream.uniform()
            XCTAssertTrue(u >= 0 && u < 1)
        }
    }

    func testUniformIntCoversItsRangeEvenly() {
        let stream = RandomStream(seed: 5, stream: .faults)
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<100_000 {
            counts[stream.uniformInt(below: 10)] += 1
        }
        for count in counts {
            XCTAssertEqual(Double(count), 10_000, accuracy: 500)
        }
        XCTAssertEqual(stream.uniformInt(below: 1), 0)
    }

    func testUniformIntAtAndAboveThirtyTwoBits() {
        let stream = RandomStream(seed: 5, stream: .workload)
        for bound in [Int(UInt32.max), 1 << 32, 3 << 40, Int.max] {
            var sawHighHalf = false
            for _ in 0..<1000 {
                let value = stream.uniformInt(below: bound)
                XCTAssertTrue(value >= 0 && value < bound)
                if value >= bound / 2 { sawHighHalf = true }
            }
            XCTAssertTrue(sawHighHalf, "bound \(bound)")
        }
    }

    func testBernoulliConsumesExactlyOneDrawWhateverP() {
        let plain = RandomStream(seed: 11, stream: .node(0))
        let mixed = RandomStream(seed: 11, stream: .node(0))
        for p in [0.0, 1.0, 0.5, 0.0] {
            let u = plain.uniform()
            XCTAssertEqual(mixed.bernoulli(p), u < p)
        }
        XCTAssertEqual(plain.uniform(), mixed.uniform())
    }

    func testBernoulliFrequency() {
        let stream = RandomStream(seed: 3, stream: .faults)
        let hits = (0..<100_000).filter { _ in stream.bernoulli(0.25) }.count
        XCTAssertEqual(Double(hits) / 100_000, 0.25, accuracy: 0.01)
    }

    func testKeyDescriptions() {
        XCTAssertEqual(StreamKey.node(3).description, "node(3)")
        XCTAssertEqual(StreamKey.dhcp(area: 2).description, "dhcp(area: 2)")
        XCTAssertEqual(StreamKey.faults.description, "faults")
        XCTAssertEqual(StreamKey.custom(kind: 300, index: 1).description, "custom(kind: 300, index: 1)")
    }
}

final class RunStreamsTests: XCTestCase {
    /// With seed 1, node(100822) and node(118712) fold to the same 32-bit generator seed.
    func testACollidingSeedIsRederivedForTheLaterStreamOnly() {
        let first = RandomStream.deriveGeneratorSeed(seed: 1, stream: .node(100_822))
        XCTAssertEqual(first, RandomStream.deriveGeneratorSeed(seed: 1, stream: .node(118_712)), "the pinned collision")
        var streams = RunStreams(seed: 1)
        let a = streams.make(.node(100_822))
        let b = streams.make(.node(118_712))
        XCTAssertEqual(a.generatorSeed, first, "the earlier stream keeps its seed")
        XCTAssertNotEqual(b.generatorSeed, first)
        XCTAssertEqual(b.generatorSeed, RandomStream.deriveGeneratorSeed(seed: 1, stream: .node(118_712), attempt: 1))
        XCTAssertEqual(streams.rederived, [.node(118_712)])
        XCTAssertNotEqual((0..<5).map { _ in a.uniform() }, (0..<5).map { _ in b.uniform() })
    }

    /// 150,000 nodes (several collisions expected): every stream of the run draws from its own seed,
    /// and streams without a collision keep the seed they have outside a run.
    func testEveryStreamOfALargeRunHasItsOwnSeed() {
        var streams = RunStreams(seed: 1)
        var seeds = Set<UInt32>()
        var given: [UInt32] = []
        for index in 0..<150_000 {
            given.append(streams.seedOf(.node(index)))
            if !seeds.insert(given[index]).inserted { XCTFail("node \(index) shares a seed") }
        }
        XCTAssertFalse(streams.rederived.isEmpty)
        for index in 0..<150_000 where !streams.rederived.contains(.node(index)) {
            if given[index] != RandomStream.deriveGeneratorSeed(seed: 1, stream: .node(index)) {
                XCTFail("node \(index) lost its own seed")
            }
        }
    }
}
