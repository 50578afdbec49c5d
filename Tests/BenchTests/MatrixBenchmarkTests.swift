@testable import Bench
import Foundation
import Sim
import XCTest

final class MatrixBenchmarkTests: XCTestCase {
    func testBadListsAreRefusedWithOneMessage() {
        let cases: [(String?, String?, String?, Int, String)] = [
            ("", nil, nil, 3, "--sizes needs at least one value"),
            (" , ", nil, nil, 3, "--sizes needs at least one value"),
            ("0", nil, nil, 3, "outside 1...20000"),
            ("20001", nil, nil, 3, "outside 1...20000"),
            ("600,abc", nil, nil, 3, "not a whole number"),
            (nil, "", nil, 3, "--workers needs at least one value"),
            (nil, "0", nil, 3, "outside 1...64"),
            (nil, "65", nil, 3, "outside 1...64"),
            (nil, nil, "", 3, "--modes needs at least one mode"),
            (nil, nil, "standard,quantum", 3, "unknown mode \"quantum\""),
            (nil, nil, "virtual,vms", 3, "unknown mode \"vms\""),
            (nil, nil, nil, 0, "--repeat must be between 1"),
        ]
        for (sizes, workers, modes, repeats, needle) in cases {
            XCTAssertThrowsError(try MatrixBenchmarkOptions.parse(sizes: sizes, workers: workers, modes: modes, repeats: repeats)) { error in
                guard case MatrixBenchError.badInput(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains(needle), "\(needle) not in \(message)")
            }
        }
    }

    func testListsAreSortedAndDeduplicated() throws {
        let options = try MatrixBenchmarkOptions.parse(sizes: "900, 600,900", workers: "3,1", modes: "secure,standard,secure", repeats: 2)
        XCTAssertEqual(options.sizes, [600, 900])
        XCTAssertEqual(options.workers, [1, 3])
        XCTAssertEqual(options.modes, [.secure, .standard])
    }

    func testAGridThatCannotFitInMemoryIsRefused() {
        let options = MatrixBenchmarkOptions(sizes: [20_000], workers: [64], modes: [.standard], repeats: 1)
        XCTAssertThrowsError(try options.checkMemory(availableBytes: 24 * 1_073_741_824))
        XCTAssertNoThrow(try MatrixBenchmarkOptions(sizes: [1200], workers: [9], modes: [.standard], repeats: 1)
            .checkMemory(availableBytes: 24 * 1_073_741_824))
    }

    func testWarmupIsCountedAndBounded() throws {
        XCTAssertEqual(try MatrixBenchmarkOptions.parse(sizes: nil, workers: nil, modes: nil, repeats: 3).warmupRuns, 1)
        XCTAssertEqual(try MatrixBenchmarkOptions.parse(sizes: nil, workers: nil, modes: nil, repeats: 3, warmupRuns: 0).warmupRuns, 0)
        for bad in [-1, 101] {
            XCTAssertThrowsError(try MatrixBenchmarkOptions.parse(sizes: nil, workers: nil, modes: nil, repeats: 3, warmupRuns: bad)) { error in
                XCTAssertEqual(error as? MatrixBenchError, .badInput("--warmup must be between 0 and 100, found \(bad)"))
            }
        }
    }

    func testLowerBoundAndPaperFigures() {
        let bound = LowerBound(size: 1000, workers: 4, computeGFLOPS: 100, channelBytesPerSecond: 8e9)
        XCTAssertEqual(bound.computeSeconds, 0.02, accuracy: 1e-12)       // 2e9 flops at 100 GFLOP/s
        XCTAssertEqual(bound.transferSeconds, 0.006, accuracy: 1e-12)     // 8e6 × 6 bytes at 8 GB/s
        XCTAssertEqual(LowerBound.computingWorkers(size: 1000, workers: 9, cores: 2), 2)
        XCTAssertEqual(LowerBound.computingWorkers(size: 1000, workers: 1, cores: 2), 1)
        XCTAssertEqual(PaperFigures.seconds(row: .standard, size: 1200, workers: 9), 16.756)
        XCTAssertEqual(PaperFigures.seconds(row: .virtualSecure, size: 600, workers: 1), 4.839)
        XCTAssertNil(PaperFigures.seconds(row: .standard, size: 700, workers: 1))
        XCTAssertNil(MatrixMode.secure.paperRow)
        XCTAssertEqual(MatrixBenchmark.median([3, 1, 2]), 2)
        XCTAssertEqual(MatrixBenchmark.median([4, 1, 2, 3]), 2.5)
    }

    /// The whole pipeline on a tiny grid: cells, speedups, bound, and the three output files.
    func testASmallGridRunsAndWritesItsFiles() throws {
        let launcher = try MatrixTestSupport.launcher()
        var options = try MatrixBenchmarkOptions.parse(sizes: "48,64", workers: "1,2", modes: "standard,secure", repeats: 2)
        options.warmupRuns = 0
        options.provenance = Provenance(version: "9.9.9", revision: "0123456789abcdef0123456789abcdef01234567",
                                        command: ["visag", "bench", "matrix", "--sizes", "48,64"], date: "2026-01-02T03:04:05Z")
        let result = try MatrixBenchmark.run(options, launcher: launcher, kernelNote: "test")
        XCTAssertEqual(result.cells.count, 8)
        XCTAssertTrue(result.blas.isOpenBLAS)
        XCTAssertGreaterThan(result.headlineGFLOPS, 0)
        for cell in result.cells {
            XCTAssertEqual(cell.samplesSeconds.count, 2)
            XCTAssertGreaterThan(cell.lowerBoundSeconds, 0)
            XCTAssertGreaterThan(cell.setupSeconds, 0)
            XCTAssertEqual(cell.vmPrepareSeconds, 0)
            XCTAssertNil(cell.paperSeconds)
            XCTAssertNotNil(cell.speedup)
            XCTAssertEqual(cell.statistics, SampleStatistics(cell.samplesSeconds))
            XCTAssertEqual(cell.warmupRuns, 0)
            // Secure cells carry their overhead over the standard cell of the same n and w.
            if cell.mode == .secure {
                let standard = try XCTUnwrap(result.cells.first { $0.mode == .standard && $0.size == cell.size && $0.workers == cell.workers })
                XCTAssertEqual(cell.overhead, OverheadRatio(cell.statistics, over: standard.statistics))
            } else {
                XCTAssertNil(cell.overhead)
            }
            XCTAssertLessThanOrEqual(cell.maxAbsError, 1e-9 * Double(cell.size))
        }
        XCTAssertTrue(CleanupRegistry.shared.liveProcessIDs.isEmpty)
        XCTAssertTrue(CleanupRegistry.shared.liveDirectoryPaths.isEmpty)

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("visag-matrix-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try MatrixOutputs.write(result, to: directory)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), MatrixOutputs.fileNames)
        let csv = try String(contentsOfFile: directory + "/matrix.csv", encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.count, 9)
        XCTAssertTrue(csv[0].hasPrefix("mode,size,workers,mean_s,sd_s,min_s,max_s,runs,warmup_runs,median_s,overhead_vs_standard,overhead_sd,"))
        XCTAssertTrue(csv[0].hasSuffix(",visag_version,git_revision,date,cpu,cores,blas,blas_library,kernel,command"))
        // Every row ends with the provenance (the command has a comma, so it is quoted).
        XCTAssertTrue(csv[1].hasSuffix(#","visag bench matrix --sizes 48,64""#), String(csv[1]))
        XCTAssertTrue(csv[1].contains(",9.9.9,0123456789abcdef0123456789abcdef01234567,2026-01-02T03:04:05Z,"))
        let markdown = try String(contentsOfFile: directory + "/matrix.md", encoding: .utf8)
        XCTAssertTrue(markdown.hasPrefix("| mode | n | w | mean ± σ [ms] | min … max [ms] | runs | × standard |"))
        XCTAssertTrue(markdown.contains("- visag 9.9.9 (git `0123456789abcdef0123456789abcdef01234567`), 2026-01-02T03:04:05Z"))
        XCTAssertTrue(markdown.contains("- CPU: \(Provenance.Machine.cpuModel()), \(result.cores) cores"))
        XCTAssertTrue(try String(contentsOfFile: directory + "/matrix.svg", encoding: .utf8).contains("<svg"))
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: directory + "/matrix.json"))) as? [String: Any])
        XCTAssertNotNil(json["dgemm_gflops"] as? Double)
        let cells = try XCTUnwrap(json["cells"] as? [[String: Any]])
        for key in ["size", "workers", "mode", "mean_s", "sd_s", "min_s", "max_s", "runs", "warmup_runs", "median_s", "warnings",
                    "lower_bound_s", "gflops", "setup_s", "vm_prepare_s", "transfer_s", "compute_s"] {
            XCTAssertNotNil(cells[0][key], key)
        }
        let secure = try XCTUnwrap(cells.first { $0["mode"] as? String == "secure" })
        XCTAssertNotNil(secure["overhead_vs_standard"] as? Double)
        XCTAssertNotNil(secure["overhead_sd"] as? Double)
        XCTAssertEqual(json["warmup_runs"] as? Int, 0)
        XCTAssertEqual(json["repeats"] as? Int, 2)
        let provenance = try XCTUnwrap(json["provenance"] as? [String: Any])
        XCTAssertEqual(provenance["version"] as? String, "9.9.9")
        XCTAssertEqual(provenance["command"] as? [String], ["visag", "bench", "matrix", "--sizes", "48,64"])
        let machine = try XCTUnwrap(provenance["machine"] as? [String: Any])
        XCTAssertEqual(machine["cores"] as? Int, result.cores)
        XCTAssertEqual(machine["cpu"] as? String, Provenance.Machine.cpuModel())
        XCTAssertEqual(machine["library"] as? String, result.blas.cblasDgemmPath)
        XCTAssertEqual(machine["kernel"] as? String, result.workerKernels.joined(separator: ","))
        XCTAssertTrue((machine["blas"] as? String ?? "").hasPrefix("OpenBLAS"))
        XCTAssertTrue(MatrixReport.text(result).contains("within 1.5× of their bound"))
        // Written again, the folder is replaced whole: a file that is not this run's is gone.
        try "stale".write(toFile: directory + "/stale.txt", atomically: false, encoding: .utf8)
        try MatrixOutputs.write(result, to: directory)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory).sorted(), MatrixOutputs.fileNames)
    }

    /// The virtual modes through the whole pipeline: VM preparation timed per group and reported
    /// in every output, the 2011 virtual-secure row beside its cells, the VMs recycled.
    func testVirtualModesReportTheirVMPreparation() throws {
        let launcher = try MatrixTestSupport.launcher()
        var options = try MatrixBenchmarkOptions.parse(sizes: "600", workers: "1,2", modes: "virtual,virtual-secure", repeats: 1)
        options.warmupRuns = 0
        let result = try MatrixBenchmark.run(options, launcher: launcher, kernelNote: "test")
        XCTAssertEqual(result.cells.count, 4)
        XCTAssertEqual(result.preparations.map(\.workers), [1, 2, 1, 2])
        for preparation in result.preparations {
            XCTAssertTrue(preparation.recycledClean)
            XCTAssertEqual(preparation.keyWritesPerVM, Array(repeating: preparation.mode == .virtualSecure ? 2 : 0,
                                                             count: preparation.workers))
            let cells = result.cells.filter { $0.mode == preparation.mode && $0.workers == preparation.workers }
            XCTAssertEqual(cells.map(\.vmPrepareSeconds), [preparation.prepareSeconds])
        }
        for cell in result.cells {
            XCTAssertGreaterThan(cell.vmPrepareSeconds, 0)
            XCTAssertLessThanOrEqual(cell.maxAbsError, 1e-9 * Double(cell.size))
            XCTAssertEqual(cell.paperSeconds, cell.mode == .virtualSecure && cell.workers == 1 ? 4.839 : nil)
        }
        XCTAssertTrue(CleanupRegistry.shared.liveProcessIDs.isEmpty)

        let csv = MatrixCSV.text(result).split(separator: "\n")
        let column = try XCTUnwrap(csv[0].split(separator: ",").firstIndex(of: "vm_prepare_s"))
        XCTAssertGreaterThan(try XCTUnwrap(Double(csv[1].split(separator: ",", omittingEmptySubsequences: false)[column])), 0)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try MatrixJSON.text(result).utf8)) as? [String: Any])
        let vms = try XCTUnwrap(json["vms"] as? [[String: Any]])
        XCTAssertEqual(vms.count, 4)
        let text = MatrixReport.text(result)
        XCTAssertTrue(text.contains("VM prep ms"))
        XCTAssertTrue(text.contains("virtual-secure w=2: prepared in"))
    }
}
