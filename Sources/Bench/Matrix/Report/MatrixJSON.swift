import Foundation
import Sim

/// `--json`: one object. Field names are the issue's; times in seconds, rates in GFLOP/s.
enum MatrixJSON {
    struct Document: Encodable {
        let dgemm_gflops: Double
        let dgemm_gflops_by_size: [String: Double]
        let blas: String
        let blas_library: String
        let kernel: String
        let kernel_note: String
        let cores: Int
        let tolerance: String
        let wall_s: Double
        let cells: [Cell]
        /// The virtual groups' worker VMs (absent without a virtual mode).
        let vms: [VMs]?
        let libvirt_uri: String?
        let warmup_runs: Int
        let repeats: Int
        let provenance: Provenance?
    }

    struct VMs: Encodable {
        let mode: String
        let workers: Int
        let vm_prepare_s: Double
        let vm_recycle_s: Double
        let key_writes_per_vm: [Int]
        let reverts_per_vm: [Int]
        let recycled_clean: Bool
        let addresses: [String]
    }

    struct Cell: Encodable {
        let size: Int
        let workers: Int
        let mode: String
        let mean_s: Double
        /// Sample standard deviation; absent with one run.
        let sd_s: Double?
        let min_s: Double
        let max_s: Double
        let median_s: Double
        let runs: Int
        let warmup_runs: Int
        /// Mean over the standard mode's mean at the same size and workers, ± σ (error propagation).
        let overhead_vs_standard: Double?
        let overhead_sd: Double?
        let warnings: [String]
        let lower_bound_s: Double
        let bound_compute_gflops: Double
        let channel_bytes_per_s: Double
        let gflops: Double
        let setup_s: Double
        let vm_prepare_s: Double
        let transfer_s: Double
        let compute_s: Double
        let paper_s: Double?
        let speedup: Double?
        let samples_s: [Double]
        let max_abs_error: Double
    }

    static func text(_ result: MatrixBenchmarkResult) throws -> String {
        let document = Document(
            dgemm_gflops: result.headlineGFLOPS,
            dgemm_gflops_by_size: Dictionary(uniqueKeysWithValues: result.dgemmGFLOPS.map { (String($0.key), $0.value) }),
            blas: result.blas.config, blas_library: result.blas.cblasDgemmPath,
            kernel: result.workerKernels.joined(separator: ","), kernel_note: result.kernelNote, cores: result.cores,
            tolerance: "max abs error <= \(MatrixBenchmarkResult.toleranceFactor) * n", wall_s: result.wallSeconds,
            cells: cells(result),
            vms: result.preparations.isEmpty ? nil : result.preparations.map {
                VMs(mode: $0.mode.rawValue, workers: $0.workers, vm_prepare_s: $0.prepareSeconds, vm_recycle_s: $0.recycleSeconds,
                    key_writes_per_vm: $0.keyWritesPerVM, reverts_per_vm: $0.revertsPerVM, recycled_clean: $0.recycledClean,
                    addresses: $0.addresses)
            },
            libvirt_uri: result.preparations.isEmpty ? nil : result.uri, warmup_runs: result.warmupRuns, repeats: result.repeats,
            provenance: result.provenance)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self)
    }

    private static func cells(_ result: MatrixBenchmarkResult) -> [Cell] {
        result.cells.map {
            Cell(size: $0.size, workers: $0.workers, mode: $0.mode.rawValue, mean_s: $0.statistics.mean,
                 sd_s: $0.statistics.standardDeviation, min_s: $0.statistics.minimum, max_s: $0.statistics.maximum,
                 median_s: $0.medianSeconds, runs: $0.statistics.count, warmup_runs: $0.warmupRuns,
                 overhead_vs_standard: $0.overhead?.ratio, overhead_sd: $0.overhead?.standardDeviation,
                 warnings: $0.warnings.map { "\($0.code): \($0.text)" },
                 lower_bound_s: $0.lowerBoundSeconds, bound_compute_gflops: $0.computeGFLOPS, channel_bytes_per_s: $0.channelBytesPerSecond, gflops: $0.gflops, setup_s: $0.setupSeconds,
                 vm_prepare_s: $0.vmPrepareSeconds, transfer_s: $0.transferSeconds, compute_s: $0.computeSeconds,
                 paper_s: $0.paperSeconds, speedup: $0.speedup, samples_s: $0.samplesSeconds, max_abs_error: $0.maxAbsError)
        }
    }
}
