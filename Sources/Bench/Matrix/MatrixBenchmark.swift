import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// The report's §8.2 experiment on this machine: for every mode, worker count and size, C = A × B
/// distributed over worker processes, timed, checked against a local reference product, and set
/// beside the machine's lower bound and the 2011 figures.
///
/// Process model: this process is the coordinator (the application's main). It starts one group
/// of worker processes per (mode, worker count) and keeps it for every size, as an application
/// keeps its parallel objects; the channel set-up is timed once per group. The single-thread dgemm
/// rate is measured in a worker process first (the kernel and thread count workers use); what the
/// cores reach together and what the channels move are measured on each cell's own workers
/// before each timed multiplication, so that the bound and the cell see the same machine.
public enum MatrixBenchmark {
    /// Runs the grid. `progress` receives one line per finished cell.
    public static func run(_ options: MatrixBenchmarkOptions, launcher: WorkerLauncher, kernelNote: String,
                           progress: (String) -> Void = { _ in }) throws -> MatrixBenchmarkResult {
        let wallStart = MonotonicClock.nowSeconds()
        // A worker that dies mid-write must be an error on that channel, not the end of this process.
        signal(SIGPIPE, SIG_IGN)
        let blas = BLASLibrary.inspect()
        let cores = ProcessInfo.processInfo.activeProcessorCount

        var inputs: [Int: (a: DenseMatrix, b: DenseMatrix, reference: DenseMatrix)] = [:]
        // The reference products may use every core (nothing else runs yet); then one thread, so
        // that no OpenBLAS thread of the coordinator competes with the workers.
        BLASLibrary.setThreadCount(cores)
        for n in options.sizes {
            let a = try DenseMatrix(rows: n, columns: n)
            let b = try DenseMatrix(rows: n, columns: n)
            a.fillRandom(seed: UInt64(n) &* 2 &+ 1)
            b.fillRandom(seed: UInt64(n) &* 2 &+ 2)
            let reference = try DenseMatrix(rows: n, columns: n)
            try reference.setProduct(a, b)
            inputs[n] = (a, b, reference)
        }

        BLASLibrary.setThreadCount(1)
        let (rates, probeKernels) = try measureDgemm(sizes: options.sizes, launcher: launcher)
        var workerKernels = Set(probeKernels)

        let credentials = options.modes.contains(.secure) ? try TLSRunCredentials.generate() : nil
        let keyring = options.modes.contains(.virtualSecure) ? RoutedKeyring() : nil
        var ssh: SSHServer?
        defer { ssh?.stop() }
        if options.modes.contains(.secureSSH) { ssh = try SSHServer(launcher: launcher) }

        var notes = options.notes
        var guests: TCGWorkerGuests?
        var guestsCleanup: Int?
        defer {
            if let guestsCleanup { CleanupRegistry.shared.unregister(stop: guestsCleanup) }
            guests?.tearDown()
        }
        if options.guests == .tcg {
            // Booted once, for the largest group; each cell's application has Model revert them.
            let count = options.workers.max() ?? 1
            guests = try TCGWorkerGuests(count: count, executable: launcher.executable, progress: progress)
            guestsCleanup = CleanupRegistry.shared.register { [guests] in guests?.tearDown() }
            notes.append(String(format: "%d TCG guest%@ booted and snapshotted in %.1f s before the first cell (not part of any cell)",
                                count, count == 1 ? "" : "s", guests!.bootSeconds))
        }

        var cells: [MatrixCell] = []
        var preparations: [MatrixVMPreparation] = []
        for mode in options.modes {
            for workers in options.workers {
                // One application per group: Model prepares its VMs before the workers start.
                let vms = mode.usesWorkerVMs ? try WorkerVMs.prepare(count: workers, mode: mode, uri: options.uri, guests: guests) : nil
                let group = try WorkerGroup.start(mode: mode, count: workers, launcher: launcher, credentials: credentials,
                                                  ssh: ssh, vms: vms, keyring: keyring)
                defer { group.shutdown() }
                workerKernels.formUnion(group.kernels)
                // A guest's emulated CPU is far slower than the host's: the calibration's work is sized by its
                // own rate (the host's would ask TCG for minutes of products).
                let guestRates = group.vms?.guests == nil ? nil : try measureRates(sizes: options.sizes, on: group.channels[0])
                if let guestRates {
                    notes.append("dgemm in a TCG guest (\(mode.rawValue) w=\(workers), 1 thread), GFLOP/s: "
                                 + options.sizes.map { String(format: "n=%d %.2f", $0, guestRates[$0]!) }.joined(separator: ", "))
                }
                for n in options.sizes {
                    let cell = try measureCell(size: n, workers: workers, mode: mode, input: inputs[n]!, group: group,
                                               options: options, singleCoreGFLOPS: guestRates?[n] ?? rates[n]!, cores: cores)
                    cells.append(cell)
                    progress(String(format: "%@ n=%d w=%d: %@ ms (%d runs), bound %.2f ms (median %.2f×)", mode.rawValue, n, workers,
                                    MatrixReport.meanAndDeviation(cell.statistics, scale: 1e3), cell.statistics.count,
                                    cell.lowerBoundSeconds * 1e3, cell.boundRatio))
                }
                if let vms = group.vms, let recycle = try group.end() {
                    let preparation = MatrixVMPreparation(vms: vms, mode: mode, recycle: recycle)
                    preparations.append(preparation)
                    progress(String(format: "%@ w=%d: %d VMs prepared by Model in %.1f ms, recycled in %.1f ms", mode.rawValue, workers,
                                    workers, preparation.prepareSeconds * 1e3, preparation.recycleSeconds * 1e3))
                }
            }
        }
        for index in cells.indices {
            let cell = cells[index]
            if let base = cells.first(where: { $0.mode == cell.mode && $0.size == cell.size && $0.workers == 1 }) {
                cells[index].speedup = base.meanSeconds / cell.meanSeconds
            }
            if cell.mode != .standard,
               let standard = cells.first(where: { $0.mode == .standard && $0.size == cell.size && $0.workers == cell.workers }) {
                cells[index].overhead = OverheadRatio(cell.statistics, over: standard.statistics)
            }
        }
        var provenance = options.provenance
        provenance?.machine = Provenance.Machine(
            cpu: Provenance.Machine.cpuModel(), cores: cores, blas: blas.config, library: blas.cblasDgemmPath,
            kernel: workerKernels.isEmpty ? blas.coreName : workerKernels.sorted().joined(separator: ","))
        var result = MatrixBenchmarkResult(
            blas: blas, kernelNote: kernelNote, workerKernels: workerKernels.sorted(), dgemmGFLOPS: rates, cores: cores,
            sshdStartSeconds: ssh?.startSeconds, cells: cells, preparations: preparations, uri: options.uri,
            wallSeconds: MonotonicClock.nowSeconds() - wallStart, notes: notes, warmupRuns: options.warmupRuns,
            repeats: options.repeats, provenance: provenance)
        result.guests = options.guests
        return result
    }

    /// Single-thread dgemm GFLOP/s per size, measured by one worker process.
    static func measureDgemm(sizes: [Int], launcher: WorkerLauncher) throws -> ([Int: Double], [String]) {
        let probe = try WorkerGroup.start(mode: .standard, count: 1, launcher: launcher, credentials: nil, ssh: nil)
        defer { probe.shutdown() }
        return (try measureRates(sizes: sizes, on: probe.channels[0]), probe.kernels)
    }

    /// Single-thread dgemm GFLOP/s per size, measured by the worker at the other end of `channel`.
    static func measureRates(sizes: [Int], on channel: any ByteChannel) throws -> [Int: Double] {
        try Frame.send(.calibrate, values: sizes.map(Double.init), on: channel)
        let values = try Frame.receiveValues(try Frame.expect(.rates, rows: 1, columns: sizes.count, from: channel), from: channel)
        return Dictionary(uniqueKeysWithValues: zip(sizes, values))
    }

    /// One cell: calibration and multiplication alternate, so that each timed multiplication has
    /// a bound measured on the same workers a moment before it (this machine's speed drifts
    /// from second to second with what else its host runs).
    static func measureCell(size n: Int, workers: Int, mode: MatrixMode,
                            input: (a: DenseMatrix, b: DenseMatrix, reference: DenseMatrix),
                            group: WorkerGroup, options: MatrixBenchmarkOptions,
                            singleCoreGFLOPS: Double, cores: Int) throws -> MatrixCell {
        let c = try DenseMatrix(rows: n, columns: n)
        let tolerance = MatrixBenchmarkResult.toleranceFactor * Double(n)
        var worstError = 0.0
        func once() throws -> DistributedProduct.Timing {
            // A stale or partial C must not pass the check.
            c.storage.update(repeating: .nan, count: c.count)
            let timing = try DistributedProduct.multiply(input.a, input.b, into: c, over: group)
            let error = c.maxAbsDifference(input.reference)
            guard error <= tolerance else {
                throw MatrixBenchError.failed(String(format: "%@ n=%d w=%d: product differs from the reference by %.3g (tolerance %.3g)",
                                                     mode.rawValue, n, workers, error, tolerance))
            }
            worstError = max(worstError, error)
            return timing
        }
        let computing = Array(group.channels.prefix(LowerBound.computingWorkers(size: n, workers: workers, cores: cores)))
        let channels = try ChannelCalibration(
            channels: Array(group.channels.prefix(LowerBound.activeWorkers(size: n, workers: workers))), a: input.a, b: input.b)
        func bound() throws -> LowerBound {
            LowerBound(size: n, workers: workers,
                       computeGFLOPS: try ComputeCalibration.measure(computing, size: n, singleCoreGFLOPS: singleCoreGFLOPS),
                       channelBytesPerSecond: try channels.measure())
        }
        for _ in 0..<options.warmupRuns {
            _ = try bound()
            _ = try once()
        }
        var samples: [(timing: DistributedProduct.Timing, bound: LowerBound)] = []
        for _ in 0..<options.repeats {
            let bound = try bound()
            samples.append((try once(), bound))
        }
        let statistics = SampleStatistics(samples.map(\.timing.totalSeconds))
        let median = statistics.median
        let boundMedian = Self.median(samples.map(\.bound.seconds))
        let representative = samples.min { abs($0.timing.totalSeconds - median) < abs($1.timing.totalSeconds - median) }!.timing
        let typicalBound = samples.min { abs($0.bound.seconds - boundMedian) < abs($1.bound.seconds - boundMedian) }!.bound
        return MatrixCell(
            size: n, workers: workers, mode: mode, samplesSeconds: samples.map(\.timing.totalSeconds), statistics: statistics,
            warmupRuns: options.warmupRuns, lowerBoundSeconds: boundMedian, lowerBoundComputeSeconds: typicalBound.computeSeconds,
            lowerBoundTransferSeconds: typicalBound.transferSeconds, computeGFLOPS: typicalBound.computeGFLOPS,
            channelBytesPerSecond: typicalBound.channelBytesPerSecond,
            setupSeconds: group.setupSeconds, vmPrepareSeconds: group.vms?.prepareSeconds ?? 0,
            transferSeconds: representative.transferSeconds, computeSeconds: representative.computeSeconds,
            paperSeconds: mode.paperRow.flatMap { PaperFigures.seconds(row: $0, size: n, workers: workers) },
            speedup: nil, overhead: nil, maxAbsError: worstError)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
