import ArgumentParser
import Foundation
import Sim

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuilds report.html, results.csv and summary.csv in a sweep output folder (with --sweep, reruns the VM timeline's run first).",
        discussion: ExitStatus.help(examples: ["visag report out/recycle",
                                               "visag report out/recycle --sweep Scenarios/studies/recycle.yaml --json"]))

    @Argument(help: "A sweep output folder (from visag sweep or merge).")
    var folder: String
    @Option(help: "The sweep file of this folder: needed to (re)draw the VM timeline.")
    var sweep: String?
    @OptionGroup var timeline: TimelineOptions
    @Flag(help: "Print the file written as one JSON object, with the provenance block.")
    var json = false

    /// What `report --json` prints.
    struct Report: Codable {
        var report: String
        /// Whether the VM timeline's run was simulated again (with --sweep).
        var timelineRedrawn: Bool
        var provenance: Provenance
    }

    func run() throws {
        let provenance = try CommandProvenance.make()
        var file: SweepFile? = nil
        var choice = TimelineChoice()
        if let sweep {
            do { file = try SweepFile.load(path: sweep) } catch let error as ScenarioError {
                throw CLIError.badInput(error.description)
            }
            choice = try timeline.applied(to: file!.timeline)
            do { try SweepRunner.checkSameSweep(file!, directory: folder) } catch let failure as SweepRunner.Failure {
                throw CLIError.badInput(failure.description)
            }
        } else if !timeline.isEmpty {
            throw CLIError.badInput("the --timeline-… options need --sweep FILE (the run is simulated again)")
        }
        do {
            // A folder written by an earlier build gets this build's results.csv and summary.csv, so the files
            // and the page show the same intervals.
            try SweepResults.rewrite(directory: folder)
            try ReportOutput.write(directory: folder, sweep: file, choice: choice, ownsTimelineRun: true)
        } catch let failure as SweepRunner.Failure {
            throw CLIError.badInput(failure.description)
        } catch let error as OutputError {
            throw CLIError(error)
        }
        let report = (folder as NSString).appendingPathComponent(SweepReport.fileName)
        if json {
            print(JSONReport.text(Report(report: report, timelineRedrawn: file != nil, provenance: provenance)))
        } else {
            print("wrote \(report)")
        }
    }
}
