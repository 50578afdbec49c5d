import Foundation

/// The human-readable report: what ran, the table, and how the run met its targets.
public enum MatrixReport {
    public static func text(_ result: MatrixBenchmarkResult) -> String {
        var lines: [String] = []
        lines.append("visag bench matrix: C = A × B, A in row blocks over w worker processes, B sent to each; loopback only")
        if let provenance = result.provenance {
            lines.append("made by   \(provenance.line)")
            if let machine = provenance.machine { lines.append("machine   \(machine.cpu), \(machine.cores) cores") }
        }
        lines.append("BLAS      \(result.blas.summary)")
        let kernels = result.workerKernels.joined(separator: ", ")
        lines.append("kernel    \(kernels.isEmpty ? result.blas.coreName : kernels) (\(result.kernelNote))")
        let rates = result.dgemmGFLOPS.keys.sorted().map {
            String(format: "n=%d %.1f", $0, result.dgemmGFLOPS[$0]!)
                + ($0 > DgemmRate.largestMeasuredSize ? " (measured at n=\(DgemmRate.largestMeasuredSize))" : "")
        }
        lines.append(String(format: "dgemm     1 thread, GFLOP/s: %@; headline %.1f GFLOP/s; %d cores", rates.joined(separator: ", "),
                            result.headlineGFLOPS, result.cores))
        for mode in MatrixMode.allCases {
            let rates = result.cells.filter { $0.mode == mode }.map(\.channelBytesPerSecond)
            guard let low = rates.min(), let high = rates.max() else { continue }
            lines.append(String(format: "channel   %@: %@ (measured %.2f-%.2f GB/s)", mode.rawValue, mode.channelDescription, low / 1e9, high / 1e9))
        }
        if let sshd = result.sshdStartSeconds { lines.append(String(format: "sshd      started in %.0f ms (keys, config, listening), once per run", sshd * 1e3)) }
        let worst = result.cells.map { $0.maxAbsError / Double($0.size) }.max() ?? 0
        lines.append(String(format: "check     every product equals one local dgemm within %.0e·n (largest error/n %.1e)",
                            MatrixBenchmarkResult.toleranceFactor, worst))
        lines.append("bound     2n³ flops at the rate min(w, cores) workers reach together (bound GF/s) + the 8n²(w+2) bytes of")
        lines.append("          B, A and C at the rate the cell's channels move them, all workers at once, when the workers answer")
        lines.append("          without multiplying (GB/s); both measured on the cell's workers before each timed multiplication.")
        lines.append("          Times exclude set-up and VM preparation (their own columns, paid once per application before its")
        lines.append("          first product, as the report's times exclude them); neither is in the bound.")
        lines.append("2011      the report's times (three ESXi hosts): its standard and virtual-secure rows (it has no secure or")
        lines.append("          virtual row); × 2011 = 2011 time / today's; † 9 workers (table says 10: 3 hosts × 3 objects)")
        lines.append("runs      per cell: \(result.warmupRuns) untimed warm-up run\(result.warmupRuns == 1 ? "" : "s"), then \(result.repeats) timed; "
                     + "mean ± σ (sample standard deviation), min … max")
        lines.append("overhead  × standard = this mode's mean / the standard mode's mean at the same n and w, ± σ propagated from")
        lines.append("          both cells' σ/mean (independent runs, as hyperfine): σ_r = r·√((σa/μa)² + (σb/μb)²)")
        lines.append(contentsOf: preparationLines(result))
        for note in result.notes { lines.append("note      \(note)") }
        lines.append("")
        lines.append(table(result.cells))
        lines.append("")
        lines.append(contentsOf: warningLines(result.cells))
        let standardAndSecure = result.cells.filter { $0.mode != .virtual && $0.mode != .virtualSecure }
        let within = standardAndSecure.filter { $0.boundRatio <= 1.5 }.count
        let worstCell = standardAndSecure.max { $0.boundRatio < $1.boundRatio }
        lines.append(String(format: "cells within 1.5× of their bound: %d of %d", within, standardAndSecure.count)
                     + (worstCell.map { String(format: " (worst %.2f×: %@ n=%d w=%d)", $0.boundRatio, $0.mode.rawValue, $0.size, $0.workers) } ?? ""))
        let virtualCells = result.cells.filter(\.mode.usesWorkerVMs)
        if !virtualCells.isEmpty {
            let withinVirtual = virtualCells.filter { $0.boundRatio <= 1.5 }.count
            let prepared = result.preparations.map(\.prepareSeconds)
            lines.append(String(format: "virtual cells within 1.5× of their bound: %d of %d; VM preparation %.1f-%.1f ms per application, "
                                + "paid once before its first product", withinVirtual, virtualCells.count,
                                (prepared.min() ?? 0) * 1e3, (prepared.max() ?? 0) * 1e3))
        }
        lines.append(String(format: "wall      %.1f s for the whole grid", result.wallSeconds))
        return lines.joined(separator: "\n")
    }

    /// Where the virtual modes' extra time goes: Model's preparation of the VMs, per group.
    static func preparationLines(_ result: MatrixBenchmarkResult) -> [String] {
        guard !result.preparations.isEmpty else { return [] }
        var lines = ["VMs       worker VMs prepared by Model through the real backend (\(result.uri)), one per worker, one"]
        lines.append("          application per mode and worker count: revert, address, own key, key writes (virtual-secure:")
        lines.append("          main node, admin, requester, each behind Model's SSH restrictions), launch; recycled by revert")
        switch result.guests {
        case .simulated:
            lines.append("          at ApplicationEnd. On the test driver a VM is no machine: its worker binds the VM's 127.0.n.k.")
        case .tcg:
            lines.append("          at ApplicationEnd. Each VM is a QEMU guest under TCG: its worker starts in the guest through")
            lines.append("          the forced command and is reached over the guest's forward at its 127.0.n.k.")
        }
        for p in result.preparations {
            let keys = Set(p.keyWritesPerVM).sorted().map(String.init).joined(separator: "/")
            let reverts = Set(p.revertsPerVM).sorted().map(String.init).joined(separator: "/")
            lines.append(String(format: "          %@ w=%d: prepared in %.1f ms, recycled in %.1f ms%@; %@ key writes and %@ reverts per VM; %@",
                                p.mode.rawValue, p.workers, p.prepareSeconds * 1e3, p.recycleSeconds * 1e3,
                                p.recycledClean ? " (clean)" : " (NOT clean)", keys, reverts,
                                p.addresses.count <= 3 ? p.addresses.joined(separator: ", ") : "\(p.addresses[0]) … \(p.addresses.last!)"))
        }
        return lines
    }

    /// "12.61 ± 0.32" (times `scale`), or the mean alone when σ is undefined (one run).
    public static func meanAndDeviation(_ statistics: SampleStatistics, scale: Double) -> String {
        String(format: "%.2f", statistics.mean * scale) + (statistics.standardDeviation.map { String(format: " ± %.2f", $0 * scale) } ?? "")
    }

    static func minimumToMaximum(_ statistics: SampleStatistics, scale: Double) -> String {
        String(format: "%.2f … %.2f", statistics.minimum * scale, statistics.maximum * scale)
    }

    /// One line per cell whose runs should not be trusted as they are, and why.
    static func warningLines(_ cells: [MatrixCell]) -> [String] {
        var lines: [String] = []
        for cell in cells {
            for warning in cell.warnings {
                lines.append("warning   \(cell.mode.rawValue) n=\(cell.size) w=\(cell.workers): \(warning.text)")
            }
        }
        return lines
    }

    static func table(_ cells: [MatrixCell]) -> String {
        let header = ["mode", "n", "w", "mean ± σ ms", "min … max ms", "runs", "× standard", "bound ms", "×bound", "bound GF/s", "GB/s",
                      "speedup", "GFLOP/s", "setup ms", "VM prep ms", "transfer ms", "compute ms", "2011 s", "×2011"]
        var rows: [[String]] = []
        for cell in cells {
            rows.append([
                cell.mode.rawValue, String(cell.size), String(cell.workers),
                meanAndDeviation(cell.statistics, scale: 1e3), minimumToMaximum(cell.statistics, scale: 1e3),
                String(cell.statistics.count), cell.overhead?.text ?? "-", String(format: "%.2f", cell.lowerBoundSeconds * 1e3),
                String(format: "%.2f", cell.boundRatio), String(format: "%.1f", cell.computeGFLOPS),
                String(format: "%.2f", cell.channelBytesPerSecond / 1e9), cell.speedup.map { String(format: "%.2f", $0) } ?? "-",
                String(format: "%.1f", cell.gflops), String(format: "%.1f", cell.setupSeconds * 1e3),
                cell.mode.usesWorkerVMs ? String(format: "%.1f", cell.vmPrepareSeconds * 1e3) : "-",
                String(format: "%.2f", cell.transferSeconds * 1e3), String(format: "%.2f", cell.computeSeconds * 1e3),
                cell.paperSeconds.map { String(format: "%.3f", $0) + (cell.workers == 9 ? "†" : "") } ?? "-",
                cell.paperRatio.map { String(format: "%.0f", $0) } ?? "-",
            ])
        }
        var widths = header.map(\.count)
        for row in rows { for (index, field) in row.enumerated() { widths[index] = max(widths[index], field.count) } }
        // Characters, not bytes or UTF-16 units: "±" and "…" are one column each.
        func format(_ fields: [String]) -> String {
            fields.enumerated().map { index, field in
                let pad = String(repeating: " ", count: widths[index] - field.count)
                return index == 0 ? field + pad : pad + field
            }.joined(separator: "  ")
        }
        return ([format(header)] + rows.map(format)).joined(separator: "\n")
    }
}
