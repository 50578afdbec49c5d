import Foundation

/// Runs a sweep's cells × seeds on several threads. Every finished run is written at once as
/// its own record (temp file + rename), so a killed sweep loses only the runs in flight and
/// `resume` redoes nothing that finished; the CSV files are regenerated from the records.
public enum SweepRunner {
    public struct Options: Sendable {
        public var jobs: Int
        /// Run only the runs whose position modulo `count` is `index` (a job array's slice).
        public var shard: (index: Int, count: Int)
        public var resume: Bool
        /// Written into a new folder's `sweep.json` (a resumed or merged folder keeps the one that started it).
        public var provenance: Provenance?
        public init(jobs: Int, shard: (index: Int, count: Int) = (0, 1), resume: Bool = false, provenance: Provenance? = nil) {
            self.jobs = jobs
            self.shard = shard
            self.resume = resume
            self.provenance = provenance
        }
    }

    public struct Outcome: Codable, Sendable {
        public var ran: Int
        public var skipped: Int
        public var failedRuns: Int
        public var wallSeconds: Double
    }

    public struct RunRecord: Codable, Sendable {
        public var cell: Int
        public var values: [String]
        public var seed: UInt64
        public var summary: RunSummary
    }

    public enum Failure: Error, CustomStringConvertible {
        case outputInUse(String)
        case differentSweep(String)
        case io(String)
        public var description: String {
            switch self {
            case .outputInUse(let dir): "\(dir) already holds a sweep's results: use --resume to finish it, or another --out"
            case .differentSweep(let dir): "\(dir) holds the results of a different sweep (its manifest differs)"
            case .io(let message): message
            }
        }
    }

    /// The runs this shard owns, as (cell, seed), in sweep order.
    public static func runs(of sweep: SweepFile, shard: (index: Int, count: Int)) -> [(SweepFile.Cell, UInt64)] {
        var result: [(SweepFile.Cell, UInt64)] = []
        var position = 0
        for cell in sweep.cells {
            for seed in sweep.seeds {
                if position % shard.count == shard.index { result.append((cell, seed)) }
                position += 1
            }
        }
        return result
    }

    public static func run(_ sweep: SweepFile, into directory: String, options: Options,
                           progress: @escaping @Sendable (_ done: Int, _ total: Int, _ failed: Int) -> Void) throws -> Outcome {
        let runsDirectory = (directory as NSString).appendingPathComponent("runs")
        var manifest = Manifest(sweep)
        manifest.provenance = options.provenance
        try prepare(directory: directory, runsDirectory: runsDirectory, manifest: manifest, resume: options.resume)
        let owned = runs(of: sweep, shard: options.shard)
        let pending = owned.filter { !FileManager.default.fileExists(atPath: recordPath(runsDirectory, $0.0.index, $0.1)) }
        let state = State()
        let cellOrder = Dictionary(uniqueKeysWithValues: sweep.cells.enumerated().map { ($1.index, $0) })
        let queue = LongestFirstQueue(cells: pending.map { cellOrder[$0.0.index]! })
        let clock = ContinuousClock()
        let start = clock.now
        DispatchQueue.concurrentPerform(iterations: max(1, min(options.jobs, pending.count))) { _ in
            while !state.stopped, let k = queue.next() {
                let (cell, seed) = pending[k]
                let runStart = clock.now
                var failed = true
                do {
                    var scenario = try ScenarioLoader.load(path: sweep.basePath, overrides: cell.overrides)
                    scenario.seed = seed
                    var simulation = Simulation(scenario: scenario)
                    let summary = RunSummary(scenario: scenario, metrics: simulation.run())
                    failed = !summary.invariantViolations.isEmpty
                    let record = RunRecord(cell: cell.index, values: cell.values, seed: seed, summary: summary)
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    let data = try encoder.encode(record)
                    try OutputFile.write(String(decoding: data, as: UTF8.self),
                                                   to: recordPath(runsDirectory, cell.index, seed))
                } catch {
                    state.fail("\(error)")
                }
                let runTime = runStart.duration(to: clock.now)
                queue.finished(k, seconds: Double(runTime.components.seconds)
                               + Double(runTime.components.attoseconds) * 1e-18)
                progress(state.finished(failed: failed), pending.count, state.failedCount)
            }
        }
        if let error = state.firstError { throw Failure.io(error) }
        let elapsed = start.duration(to: clock.now)
        try SweepResults.write(sweep: sweep, directory: directory)
        return Outcome(ran: pending.count, skipped: owned.count - pending.count, failedRuns: state.failedCount,
                       wallSeconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

    static func recordPath(_ runsDirectory: String, _ cell: Int, _ seed: UInt64) -> String {
        (runsDirectory as NSString).appendingPathComponent("c\(cell)-s\(seed).json")
    }

    /// What identifies a sweep: resuming or merging checks it is the same one.
    struct Manifest: Codable, Equatable {
        var base: String
        var set: [String]
        var axes: [String: [String]]
        var axisOrder: [String]
        /// First and last seed; for seeds that are not one ascending range, `seedList` holds them all.
        var seeds: [UInt64]
        /// The seeds as written again (`2,5,9`), when they are not one range (absent in folders of older builds).
        var seedList: String?
        var cells: [Int]
        /// What started the sweep. Not part of its identity: a resume or a shard from another command line,
        /// build or day is the same sweep.
        var provenance: Provenance?

        static func == (lhs: Manifest, rhs: Manifest) -> Bool {
            (lhs.base, lhs.set, lhs.axes, lhs.axisOrder, lhs.cells) == (rhs.base, rhs.set, rhs.axes, rhs.axisOrder, rhs.cells)
                && (lhs.seeds, lhs.seedList) == (rhs.seeds, rhs.seedList)
        }

        init(_ sweep: SweepFile) {
            base = (sweep.basePath as NSString).lastPathComponent
            set = sweep.baseOverrides
            axes = Dictionary(uniqueKeysWithValues: sweep.axes.map { ($0.path, $0.values) })
            axisOrder = sweep.axes.map(\.path)
            if let range = sweep.seeds.range {
                seeds = [range.lowerBound, range.upperBound]
            } else {
                seeds = [sweep.seeds.first, sweep.seeds.ranges.last!.upperBound]
                seedList = sweep.seeds.description
            }
            cells = sweep.cells.map(\.index)
        }
    }

    static func prepare(directory: String, runsDirectory: String, manifest: Manifest, resume: Bool) throws {
        try OutputFile.makeFolder(directory)
        let manifestPath = (directory as NSString).appendingPathComponent("sweep.json")
        if let data = FileManager.default.contents(atPath: manifestPath) {
            guard resume else { throw Failure.outputInUse(directory) }
            guard let existing = try? JSONDecoder().decode(Manifest.self, from: data), existing == manifest else {
                throw Failure.differentSweep(directory)
            }
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            try OutputFile.write(String(decoding: try encoder.encode(manifest), as: UTF8.self), to: manifestPath)
        }
        try OutputFile.makeFolder(runsDirectory)
    }

    private final class State: @unchecked Sendable {
        // Everything below is guarded by `lock`.
        private let lock = NSLock()
        private var done = 0
        private(set) var failedCount = 0
        private(set) var firstError: String?

        /// A run failed to write its record: start no more.
        var stopped: Bool {
            lock.lock()
            defer { lock.unlock() }
            return firstError != nil
        }

        func finished(failed: Bool) -> Int {
            lock.lock()
            defer { lock.unlock() }
            done += 1
            if failed { failedCount += 1 }
            return done
        }

        func fail(_ message: String) {
            lock.lock()
            defer { lock.unlock() }
            if firstError == nil { firstError = message }
        }
    }
}

extension SweepRunner {
    /// Fails unless `directory` holds this sweep's results (its manifest matches).
    public static func checkSameSweep(_ sweep: SweepFile, directory: String) throws {
        let path = (directory as NSString).appendingPathComponent("sweep.json")
        guard let data = FileManager.default.contents(atPath: path),
              let existing = try? JSONDecoder().decode(Manifest.self, from: data) else {
            throw Failure.io("\(path): error: not a sweep output folder (no readable sweep.json)")
        }
        guard existing == Manifest(sweep) else { throw Failure.differentSweep(directory) }
    }

    /// Whether this shard runs the given run (so it, and no other shard, draws its timeline).
    public static func owns(cell: Int, seed: UInt64, of sweep: SweepFile, shard: (index: Int, count: Int)) -> Bool {
        guard let position = sweep.cells.firstIndex(where: { $0.index == cell }),
              let seedPosition = sweep.seeds.position(of: seed) else { return false }
        return (position * sweep.seedCount + seedPosition) % shard.count == shard.index
    }
}

extension SweepRunner.Manifest {
    /// The manifest (`sweep.json`) of a sweep output folder.
    static func read(directory: String) throws -> SweepRunner.Manifest {
        let path = (directory as NSString).appendingPathComponent("sweep.json")
        guard let data = FileManager.default.contents(atPath: path),
              let manifest = try? JSONDecoder().decode(SweepRunner.Manifest.self, from: data) else {
            throw SweepRunner.Failure.io("\(path): error: not a sweep output folder (no readable sweep.json)")
        }
        return manifest
    }
}
