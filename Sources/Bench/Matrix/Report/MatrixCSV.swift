import Sim

/// One row per cell, every number in SI units (seconds, GFLOP/s). The provenance fills the last
/// columns of every row, so that a row copied elsewhere still says where it came from and the file
/// stays plain CSV (no comment lines a reader would take for a row).
enum MatrixCSV {
    static let header = "mode,size,workers,mean_s,sd_s,min_s,max_s,runs,warmup_runs,median_s,overhead_vs_standard,overhead_sd,"
        + "lower_bound_s,bound_ratio,lower_bound_compute_s,lower_bound_transfer_s,bound_compute_gflops,channel_bytes_per_s,"
        + "speedup,gflops,setup_s,vm_prepare_s,transfer_s,compute_s,paper_s,paper_ratio,max_abs_error,samples_s,warnings,"
        + "visag_version,git_revision,date,cpu,cores,blas,blas_library,kernel,command"

    static func text(_ result: MatrixBenchmarkResult) -> String {
        let provenance = provenanceFields(result.provenance)
        var lines = [header]
        for cell in result.cells {
            let statistics = cell.statistics
            let fields: [String] = [
                cell.mode.rawValue, String(cell.size), String(cell.workers), number(statistics.mean),
                statistics.standardDeviation.map(number) ?? "", number(statistics.minimum), number(statistics.maximum),
                String(statistics.count), String(cell.warmupRuns), number(statistics.median),
                cell.overhead.map { number($0.ratio) } ?? "", cell.overhead?.standardDeviation.map(number) ?? "",
                number(cell.lowerBoundSeconds), number(cell.boundRatio), number(cell.lowerBoundComputeSeconds),
                number(cell.lowerBoundTransferSeconds), number(cell.computeGFLOPS), number(cell.channelBytesPerSecond), cell.speedup.map(number) ?? "", number(cell.gflops),
                number(cell.setupSeconds), number(cell.vmPrepareSeconds), number(cell.transferSeconds),
                number(cell.computeSeconds), cell.paperSeconds.map(number) ?? "", cell.paperRatio.map(number) ?? "",
                number(cell.maxAbsError), cell.samplesSeconds.map(number).joined(separator: ";"),
                cell.warnings.map(\.code).joined(separator: ";"),
            ] + provenance
            lines.append(fields.map(field).joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func provenanceFields(_ provenance: Provenance?) -> [String] {
        guard let provenance else { return Array(repeating: "", count: 9) }
        let machine = provenance.machine
        return [provenance.version, provenance.revision, provenance.date, machine?.cpu ?? "", machine.map { String($0.cores) } ?? "",
                machine?.blas ?? "", machine?.library ?? "", machine?.kernel ?? "", provenance.command.map(Provenance.shellQuoted).joined(separator: " ")]
    }

    private static func number(_ value: Double) -> String { "\(value)" }

    /// RFC 4180: a field with a comma, quote or line break is quoted, its quotes doubled.
    static func field(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
