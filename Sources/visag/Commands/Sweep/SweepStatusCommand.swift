import ArgumentParser
import Foundation
import Sim

/// `visag sweep status DIR`: per shard of a sweep submitted with `--slurm`, runs done of runs planned and the
/// state of its task; the merge job; and the command that resubmits only the unfinished shards.
struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Shows where each shard of a sweep submitted with --slurm stands, and how to finish it.",
        discussion: ExitStatus.help("FOLDER is the one a `visag sweep FILE --out FOLDER --slurm …` wrote.",
                                    examples: ["visag sweep status /shared/dhops", "visag sweep status /shared/dhops --check --json"]))

    @Argument(help: "The sweep's output folder (the --out given with --slurm).")
    var folder: String
    @Flag(help: "Exit 1 unless every shard has written all its runs (the merge script checks this first).")
    var check = false
    @Flag(help: "Print the status as one JSON object, with the provenance block.")
    var json = false

    func run() throws {
        let provenance = try CommandProvenance.make()
        let status = try SlurmSweepStatus.read(SlurmSweepFolder(root: SlurmSubmission.absolute(folder)))
        print(json ? JSONReport.text(SlurmSweepStatusReport(status, provenance: provenance)) : status.report)
        if check && !status.unfinished.isEmpty {
            throw CLIError.runFailed("shards " + status.unfinished.map(String.init).joined(separator: ", ")
                                     + " have not written all their runs: nothing merged")
        }
    }
}
