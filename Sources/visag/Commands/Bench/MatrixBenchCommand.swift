import ArgumentParser
import Bench
import Foundation

/// `visag bench matrix`: the report's §8.2 matrix experiment on this machine.
struct MatrixBenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix",
        abstract: "Runs the report's matrix experiment (C = A×B over worker processes) and compares it with 2011 and with this machine's lower bound.",
        discussion: ExitStatus.help("""
            Modes: standard (plain TCP), secure (TLS 1.3, mutual certificates from a per-run CA), secure-ssh (an OpenSSH \
            tunnel to an sshd the benchmark starts on 127.0.0.1), virtual (each worker in a worker VM Model prepares through \
            libvirt, plain TCP to the VM's address) and virtual-secure (the same over TLS 1.3 with the keys Model's security \
            manager routed to each VM). On libvirt's test driver a VM is no machine: each worker binds its VM's loopback \
            address 127.0.<node>.<k>. Everything runs on loopback; every worker, ssh client and sshd is stopped and every temporary file removed at the end, on \
            failure and on Ctrl-C. If the CPU has AVX-512 and OPENBLAS_CORETYPE is unset, the command re-executes itself \
            with OPENBLAS_CORETYPE=SkylakeX (OpenBLAS 0.3.21 does not recognise recent Xeons).
            """, examples: ["visag bench matrix --sizes 300 --workers 1,2 --modes standard,secure",
                            "visag bench matrix --out out/matrix --json"]))

    @Option(help: "Matrix sizes n (comma-separated, 1...20000).")
    var sizes: String = "600,900,1200"
    @Option(help: "Worker counts (comma-separated, 1...64).")
    var workers: String = "1,3,6,9"
    @Option(help: "Modes: standard, secure, secure-ssh, virtual, virtual-secure (default: standard, secure, virtual, virtual-secure).")
    var modes: String?
    @Option(help: "libvirt URI the virtual modes prepare worker VMs through (on another URI the workers node<i>_worker1 must exist).")
    var uri: String = "test:///default"
    @Option(help: "What the virtual modes' worker VMs are: simulated (domains of --uri, each worker a host process at its VM's loopback address) or tcg (QEMU guests under TCG booted through qemu:///system, each worker inside its guest; needs root and scripts/tcg-guest).")
    var guests: String = "simulated"
    @Option(name: .customLong("repeat"), help: "Timed multiplications per cell (mean ± σ, min … max and the median are reported).")
    var repeatCount: Int = 5
    @Option(help: "Untimed multiplications per cell before the timed ones (0...100).")
    var warmup: Int = 1
    @Option(help: "Folder for matrix.csv, matrix.json, matrix.md and matrix.svg (created; an earlier benchmark's folder is replaced as a whole).")
    var out: String?
    @Flag(help: "Print one JSON object instead of the table.")
    var json = false
    @Option(name: .customLong("export-json"), help: "Also write the JSON object to this file.")
    var exportJSON: String?
    @Option(name: .customLong("export-csv"), help: "Also write one CSV row per cell (with the provenance columns) to this file.")
    var exportCSV: String?
    @Option(name: .customLong("export-markdown"), help: "Also write the statistics table, warnings and provenance as Markdown to this file.")
    var exportMarkdown: String?

    func run() throws {
        var options: MatrixBenchmarkOptions
        do {
            options = try MatrixBenchmarkOptions.parse(sizes: sizes, workers: workers, modes: modes, repeats: repeatCount,
                                                       warmupRuns: warmup, uri: uri, guests: guests)
        } catch let error as MatrixBenchError {
            throw CLIError.badInput(error.description)
        }
        options.provenance = try CommandProvenance.make()
        if let out {
            // Found out now rather than after a minute of benchmarking; a folder that cannot be written exits 1.
            do { try MatrixOutputs.check(out) } catch let error as MatrixBenchError { throw CLIError.runFailed(error.description) }
        }
        // Flags are checked first so that a typo never costs a re-execution.
        let kernelNote = KernelSelection.reexecIfNeeded()
        // Export files are opened now (after any re-execution, which would leave their temporary files behind),
        // so a path that cannot be written costs no benchmark.
        var exports: [MatrixOutputs.Export] = []
        do {
            for (format, path) in [(MatrixOutputs.Export.Format.json, exportJSON), (.csv, exportCSV), (.markdown, exportMarkdown)] {
                if let path { exports.append(try MatrixOutputs.Export(format, path: path)) }
            }
        } catch let error as MatrixBenchError {
            exports.forEach { $0.discard() }
            switch error {
            case .badInput(let message): throw CLIError.badInput(message)
            case .failed(let message): throw CLIError.runFailed(message)
            }
        }
        CleanupRegistry.shared.installSignalHandlers()
        let interactive = isatty(2) == 1 && !json
        let result: MatrixBenchmarkResult
        do {
            result = try MatrixBenchmark.run(options, launcher: .currentExecutable(), kernelNote: kernelNote) { line in
                if interactive { FileHandle.standardError.write(Data((line + "\n").utf8)) }
            }
            if let out { try MatrixOutputs.write(result, to: out) }
            for export in exports { try export.write(result) }
        } catch let error as MatrixBenchError {
            exports.forEach { $0.discard() }
            CleanupRegistry.shared.cleanUpAfterFailure()
            switch error {
            case .badInput(let message): throw CLIError.badInput(message)
            case .failed(let message): throw CLIError.runFailed(message)
            }
        }
        print(json ? try MatrixOutputs.json(result) : MatrixReport.text(result))
    }
}

/// `visag bench matrix-worker`: the processes `bench matrix` starts. Not for direct use.
struct MatrixWorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "matrix-worker", abstract: "A worker (or process guard) of `visag bench matrix`.", shouldDisplay: false)

    @Option(help: "Serve one coordinator over tcp, tls or tls-keys.")
    var channel: String?
    @Option(help: "Listen on this loopback address (a worker VM's, or 10.0.2.15 inside a QEMU guest) instead of 127.0.0.1.")
    var address: String?
    @Option(help: "Listen on this port (inside a QEMU guest, the one the host forwards to) instead of one the kernel picks.")
    var port: UInt16?
    @Flag(name: .customLong("guard"), help: "Run the program after -- and end it when stdin closes.")
    var guardMode = false
    @Argument(parsing: .postTerminator, help: "The guarded program and its arguments.")
    var command: [String] = []

    func run() throws {
        if guardMode {
            Foundation.exit(ProcessGuard.run(arguments: command))
        }
        guard let channel, let kind = MatrixWorker.ChannelKind(rawValue: channel) else {
            throw CLIError.badInput("matrix-worker needs --channel tcp|tls|tls-keys or --guard -- PROGRAM")
        }
        Foundation.exit(MatrixWorker.run(channel: kind, address: address, port: port))
    }
}
