import ArgumentParser
import Foundation

/// `visag sweep status DIR`: per shard of a sweep submitted with `--slurm`, runs done of runs planned and the
/// state of its task; the merge job; and the command that resubmits only the unfinished shards.
struct SweepStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Shows where each shard of a sweep submitted with --slurm stands, and how to finish it.",
        discussion: ExitStatus.discussion)

    @Argument(help: "The sweep's output folder (the --out given with --slurm).")
    var folder: String

    func run() throws {
        let status = try SlurmSweepStatus.read(SlurmSweepFolder(root: SlurmSubmission.absolute(folder)))
        print(status.report)
    }
}
