import Foundation
import Sim

/// `--export-markdown`: the statistics table (as hyperfine's), the warnings, how the overhead's
/// uncertainty is computed, and the provenance, ready to paste into a document.
enum MatrixMarkdown {
    static func text(_ result: MatrixBenchmarkResult) -> String {
        var lines = ["| mode | n | w | mean ± σ [ms] | min … max [ms] | runs | × standard | ×bound | 2011 [s] |",
                     "|:---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for cell in result.cells {
            let fields = [
                "`\(cell.mode.rawValue)`", String(cell.size), String(cell.workers),
                MatrixReport.meanAndDeviation(cell.statistics, scale: 1e3), MatrixReport.minimumToMaximum(cell.statistics, scale: 1e3),
                String(cell.statistics.count), cell.overhead?.text ?? "-", String(format: "%.2f", cell.boundRatio),
                cell.paperSeconds.map { String(format: "%.3f", $0) } ?? "-",
            ]
            lines.append("| " + fields.joined(separator: " | ") + " |")
        }
        lines.append("")
        lines.append("Per cell \(result.warmupRuns) untimed warm-up run\(result.warmupRuns == 1 ? "" : "s"), then \(result.repeats) timed; "
                     + "σ is the sample standard deviation. × standard: this mode's mean over the standard mode's mean at the same n "
                     + "and w, ± σ propagated from both cells' σ/mean (runs independent): σ_r = r·√((σa/μa)² + (σb/μb)²). "
                     + "×bound: median over this machine's lower bound.")
        let warnings = MatrixReport.warningLines(result.cells)
        if !warnings.isEmpty {
            lines.append("")
            lines += warnings.map { "- " + $0.dropFirst("warning   ".count) }
        }
        lines.append("")
        lines += provenanceLines(result)
        return lines.joined(separator: "\n") + "\n"
    }

    static func provenanceLines(_ result: MatrixBenchmarkResult) -> [String] {
        var lines: [String] = []
        if let provenance = result.provenance {
            lines.append("- visag \(provenance.version) (git `\(provenance.revision)`), \(provenance.date)")
            lines.append("- command: `" + provenance.command.map(Provenance.shellQuoted).joined(separator: " ") + "`")
            if let machine = provenance.machine {
                lines.append("- CPU: \(machine.cpu), \(machine.cores) cores")
                lines.append("- BLAS: \(machine.blas), kernel \(machine.kernel) (`cblas_dgemm` from `\(machine.library)`)")
            }
        }
        lines.append(String(format: "- dgemm: %.1f GFLOP/s on one thread at n=%d", result.headlineGFLOPS, result.dgemmGFLOPS.keys.max() ?? 0))
        return lines
    }
}
