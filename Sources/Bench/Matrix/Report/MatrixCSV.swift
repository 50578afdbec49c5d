/// One row per cell, every number in SI units (seconds, GFLOP/s).
enum MatrixCSV {
    static let header = "mode,size,workers,median_s,lower_bound_s,bound_ratio,lower_bound_compute_s,lower_bound_transfer_s,bound_compute_gflops,channel_bytes_per_s,"
        + "speedup,gflops,setup_s,vm_prepare_s,transfer_s,compute_s,paper_s,paper_ratio,max_abs_error,samples_s"

    static func text(_ result: MatrixBenchmarkResult) -> String {
        var lines = [header]
        for cell in result.cells {
            let fields: [String] = [
                cell.mode.rawValue, String(cell.size), String(cell.workers), number(cell.medianSeconds),
                number(cell.lowerBoundSeconds), number(cell.boundRatio), number(cell.lowerBoundComputeSeconds),
                number(cell.lowerBoundTransferSeconds), number(cell.computeGFLOPS), number(cell.channelBytesPerSecond), cell.speedup.map(number) ?? "", number(cell.gflops),
                number(cell.setupSeconds), number(cell.vmPrepareSeconds), number(cell.transferSeconds),
                number(cell.computeSeconds), cell.paperSeconds.map(number) ?? "", cell.paperRatio.map(number) ?? "",
                number(cell.maxAbsError), cell.samplesSeconds.map(number).joined(separator: ";"),
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private static func number(_ value: Double) -> String { "\(value)" }
}
