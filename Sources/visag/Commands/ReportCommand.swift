import ArgumentParser
import Foundation
import Sim

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuilds report.html in a sweep output folder (with --sweep, reruns the VM timeline's run first).",
        discussion: ExitStatus.discussion)

    @Argument(help: "A sweep output folder (from visag sweep or merge).")
    var folder: String
    @Option(help: "The sweep file of this folder: needed to (re)draw the VM timeline.")
    var sweep: String?
    @OptionGroup var timeline: TimelineOptions

    func run() throws {
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
            try ReportOutput.write(directory: folder, sweep: file, choice: choice, ownsTimelineRun: true)
        } catch let failure as SweepRunner.Failure {
            throw CLIError.badInput(failure.description)
        } catch let error as OutputError {
            throw CLIError(error)
        }
        print("wrote \((folder as NSString).appendingPathComponent(SweepReport.fileName))")
    }
}
