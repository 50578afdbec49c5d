import Foundation
import Real
import Sim

/// What `visag bench matrix` runs, validated before anything starts.
public struct MatrixBenchmarkOptions: Sendable {
    public static let defaultSizes = [600, 900, 1200]
    public static let defaultWorkers = [1, 3, 6, 9]
    /// The report's four builds by default; `secure-ssh` (the OpenSSH tunnel the 2011 secure build
    /// used) on request, as it needs an sshd and adds a column.
    public static let defaultModes: [MatrixMode] = [.standard, .secure, .virtual, .virtualSecure]
    public static let sizeRange = 1...20_000
    public static let workerRange = 1...64
    public static let repeatRange = 1...1000
    public static let warmupRange = 0...100

    public var sizes: [Int]
    public var workers: [Int]
    public var modes: [MatrixMode]
    public var repeats: Int
    /// The libvirt connection the virtual modes prepare their worker VMs through.
    public var uri = RealRunOptions.defaultURI
    /// What the virtual modes' worker VMs are (`--guests`).
    public var guests = MatrixGuests.simulated
    /// Untimed multiplications per cell before the timed ones (first-touch page faults, TCP window
    /// growth), each after its own bound measurement as a timed one is (`--warmup`).
    public var warmupRuns = 1
    /// The build, command line and date the outputs record; the benchmark adds this machine.
    public var provenance: Provenance?
    /// Remarks to print (e.g. a default mode left out).
    public var notes: [String] = []

    public init(sizes: [Int], workers: [Int], modes: [MatrixMode], repeats: Int) {
        self.sizes = sizes
        self.workers = workers
        self.modes = modes
        self.repeats = repeats
    }

    /// Parses the CLI's comma-separated lists. nil means the default.
    public static func parse(sizes: String?, workers: String?, modes: String?, repeats: Int, warmupRuns: Int = 1,
                             uri: String = RealRunOptions.defaultURI, guests: String? = nil) throws -> MatrixBenchmarkOptions {
        guard !uri.isEmpty else { throw MatrixBenchError.badInput("--uri must not be empty (e.g. --uri test:///default)") }
        let guestKind = try guests.map { name in
            guard let kind = MatrixGuests(rawValue: name) else {
                throw MatrixBenchError.badInput("--guests: unknown kind \"\(name)\" (choose from \(MatrixGuests.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return kind
        } ?? .simulated
        let sizeList = try sizes.map { try parseList("--sizes", $0, range: sizeRange, example: "600,900,1200") } ?? defaultSizes
        let workerList = try workers.map { try parseList("--workers", $0, range: workerRange, example: "1,3,6,9") } ?? defaultWorkers
        guard repeatRange.contains(repeats) else {
            throw MatrixBenchError.badInput("--repeat must be between \(repeatRange.lowerBound) and \(repeatRange.upperBound), found \(repeats)")
        }
        guard warmupRange.contains(warmupRuns) else {
            throw MatrixBenchError.badInput("--warmup must be between \(warmupRange.lowerBound) and \(warmupRange.upperBound), found \(warmupRuns)")
        }
        let modeList = try modes.map { try parseModes($0) } ?? defaultModes
        var options = MatrixBenchmarkOptions(sizes: sizeList, workers: workerList, modes: modeList, repeats: repeats)
        options.uri = uri
        options.guests = guestKind
        if guestKind == .tcg {
            guard uri == RealRunOptions.defaultURI || uri == TCGGuestHost.uri else {
                throw MatrixBenchError.badInput("--guests tcg boots its guests through \(TCGGuestHost.uri); --uri \(uri) does not go with it")
            }
            guard modeList.contains(where: \.usesWorkerVMs) else {
                throw MatrixBenchError.badInput("--guests tcg needs a mode with worker VMs (--modes virtual,virtual-secure)")
            }
            options.uri = TCGGuestHost.uri
            options.notes.append("TCG emulates the guests' CPU: compute in the virtual modes is that of an emulator, many times "
                                 + "slower than the host; their VM preparation and transfer are the findings")
        }
        options.warmupRuns = warmupRuns
        try options.checkMemory(availableBytes: availableMemoryBytes())
        return options
    }

    static func parseList(_ flag: String, _ text: String, range: ClosedRange<Int>, example: String) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.contains(where: { !$0.isEmpty }) else {
            throw MatrixBenchError.badInput("\(flag) needs at least one value, e.g. \(flag) \(example)")
        }
        var values: [Int] = []
        for item in items {
            guard let value = Int(item) else {
                throw MatrixBenchError.badInput("\(flag): \"\(item)\" is not a whole number (expected e.g. \(flag) \(example))")
            }
            guard range.contains(value) else {
                throw MatrixBenchError.badInput("\(flag): \(value) is outside \(range.lowerBound)...\(range.upperBound)")
            }
            if !values.contains(value) { values.append(value) }
        }
        return values.sorted()
    }

    static func parseModes(_ text: String) throws -> [MatrixMode] {
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard names.contains(where: { !$0.isEmpty }) else {
            throw MatrixBenchError.badInput("--modes needs at least one mode: \(modeNames)")
        }
        var modes: [MatrixMode] = []
        for name in names {
            guard let mode = MatrixMode(rawValue: name) else {
                throw MatrixBenchError.badInput("--modes: unknown mode \"\(name)\" (choose from \(modeNames))")
            }
            if !modes.contains(mode) { modes.append(mode) }
        }
        return modes
    }

    static var modeNames: String { MatrixMode.allCases.map(\.rawValue).joined(separator: ", ") }

    /// Bytes the run holds at its peak: A, B, C and the reference for every size in the
    /// coordinator, plus, for the largest cell, the cell's C and calibration scratch, B and a
    /// block of A and C in every worker, and three n × n calibration operands in min(w, cores)
    /// workers.
    var peakBytes: Double {
        let coordinator = sizes.reduce(0.0) { $0 + 32 * Double($1) * Double($1) }
        let largest = Double(sizes.max() ?? 1)
        let square = 8 * largest * largest
        let workersPeak = sizes.flatMap { n in workers.map { w in LowerBound.bytesMoved(size: n, workers: w) } }.max() ?? 0
        let cores = Double(min(workers.max() ?? 1, ProcessInfo.processInfo.activeProcessorCount))
        return coordinator + 2 * square + workersPeak + 3 * square * cores
    }

    /// Refuses a grid that would not fit in memory, instead of being killed halfway through it.
    func checkMemory(availableBytes: Double?) throws {
        guard let availableBytes else { return }
        let needed = peakBytes
        guard needed <= availableBytes * 0.8 else {
            let most = workers.max() ?? 1
            throw MatrixBenchError.badInput(String(format: "--sizes %@ with %d worker%@ needs about %.1f GiB of memory; this machine has %.1f GiB available",
                                                   sizes.map(String.init).joined(separator: ","), most, most == 1 ? "" : "s",
                                                   needed / 1_073_741_824, availableBytes / 1_073_741_824))
        }
    }

    /// MemAvailable from /proc/meminfo, in bytes.
    static func availableMemoryBytes() -> Double? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
            let fields = line.split(separator: " ")
            if fields.count >= 2, let kib = Double(fields[1]) { return kib * 1024 }
        }
        return nil
    }
}
