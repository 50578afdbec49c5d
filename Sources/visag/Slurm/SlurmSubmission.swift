import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// `visag sweep FILE --out DIR --slurm …`: writes `DIR/slurm/array.sbatch` and `merge.sbatch`, submits the
/// array job (one shard per task) and the merge job after it (`afterok`), and records both in
/// `DIR/slurm/submission.json`. With `--resume` it submits again only the shards that are not done, with a new
/// merge job. Slurm does the scheduling; visag only writes scripts and calls `sbatch`.
struct SlurmSubmission {
    var sweepPath: String
    var out: String
    var shardCount: Int?
    var cpusPerTask: Int
    var partition: String?
    var time: String?
    var sbatchArgs: [String]
    /// More `visag sweep` options for every task (the timeline's, `--max-memory`).
    var taskArguments: [String]
    var resume: Bool

    /// Options visag sets in the scripts itself; `--sbatch-arg` may not set them again.
    static let ownOptions = ["--array", "-a", "--output", "-o", "--error", "-e", "--open-mode", "--dependency", "-d",
                             "--parsable", "--wrap", "--cpus-per-task", "-c"]

    /// Checks the options alone (before anything is read or written).
    func validate() throws {
        if let shardCount, shardCount < 1 { throw CLIError.badInput("--array must be >= 1, found \(shardCount)") }
        if shardCount == nil && !resume {
            throw CLIError.badInput("--slurm needs --array N: the number of array tasks (shards) to split the sweep into")
        }
        if let time, !Self.isSlurmTime(time) {
            throw CLIError.badInput("--time: expected Slurm's time format (minutes, hours:minutes:seconds or "
                                    + "days-hours:minutes:seconds, like 01:00:00), found \"\(time)\"")
        }
        if let partition, partition.isEmpty || partition.contains(where: \.isWhitespace) {
            throw CLIError.badInput("--partition: expected a partition name, found \"\(partition)\"")
        }
        for argument in sbatchArgs {
            guard argument.hasPrefix("-"), !argument.contains(where: \.isNewline) else {
                throw CLIError.badInput("--sbatch-arg: expected one sbatch option like --sbatch-arg=--account=X, "
                                        + "found \"\(argument)\"")
            }
            let name = argument.hasPrefix("--") ? String(argument.prefix { $0 != "=" }) : String(argument.prefix(2))
            if Self.ownOptions.contains(name) {
                throw CLIError.badInput("--sbatch-arg=\(argument): visag sets \(name) itself"
                                        + (name == "--cpus-per-task" || name == "-c" ? " (from --jobs)" : ""))
            }
        }
        if resume && (partition != nil || time != nil || !sbatchArgs.isEmpty) {
            throw CLIError.badInput("--resume submits DIR/slurm/array.sbatch and merge.sbatch as they are: "
                                    + "edit them to change --partition, --time or other sbatch options")
        }
        guard SlurmClient.find("sbatch") != nil else {
            throw CLIError.badInput("--slurm submits with sbatch, which is not on PATH: run this where Slurm's "
                                    + "client commands are installed (a login node)")
        }
    }

    /// `01:00:00`, `30`, `30:00`, `1-12`, `1-12:00`, `1-12:00:00`, `UNLIMITED`.
    static func isSlurmTime(_ text: String) -> Bool {
        if ["unlimited", "infinite"].contains(text.lowercased()) { return true }
        var rest = Substring(text)
        if let dash = rest.firstIndex(of: "-") {
            guard !rest[..<dash].isEmpty, rest[..<dash].allSatisfy(isDigit) else { return false }
            rest = rest[rest.index(after: dash)...]
        }
        let parts = rest.split(separator: ":", omittingEmptySubsequences: false)
        return (1...3).contains(parts.count) && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(isDigit) }
    }

    static func isDigit(_ character: Character) -> Bool { ("0"..."9").contains(character) }

    /// Submits `sweep` (already loaded and validated: every cell) and prints the job ids.
    func submit(_ sweep: SweepFile) throws {
        let folder = SlurmSweepFolder(root: Self.absolute(out))
        try Self.checkFolderPath(folder.root)
        let sweepFile = Self.absolute(sweepPath)
        if resume {
            try resubmit(sweep, folder: folder, sweepFile: sweepFile)
            return
        }
        guard !FileManager.default.fileExists(atPath: folder.record) else {
            throw CLIError.badInput("\(folder.root) already holds a sweep submitted to Slurm: see `visag sweep status "
                                    + "\(folder.root)`, finish it with --resume, or use another --out")
        }
        guard !FileManager.default.fileExists(atPath: (folder.root as NSString).appendingPathComponent("sweep.json")) else {
            throw CLIError.badInput(SweepRunner.Failure.outputInUse(folder.root).description)
        }
        let shardCount = shardCount ?? 1
        guard shardCount <= sweep.runCount else {
            throw CLIError.badInput("--array \(shardCount) is more array tasks than the sweep's \(sweep.runCount) runs")
        }
        try prepare(folder)
        let scripts = SlurmScripts(visag: Self.executablePath, sweep: sweepFile, folder: folder, shardCount: shardCount,
                                   cpusPerTask: cpusPerTask, partition: partition, time: time, extra: sbatchArgs,
                                   taskArguments: taskArguments)
        do {
            try OutputFile.write(scripts.array, to: folder.arrayScript)
            try OutputFile.write(scripts.merge, to: folder.mergeScript)
        } catch {
            throw CLIError(error)
        }
        var record = SlurmSubmissionRecord(sweep: sweepFile, visag: Self.executablePath, shardCount: shardCount,
                                           runs: sweep.runCount, submissions: [])
        try submitJobs(shards: Array(0..<shardCount), all: true, record: &record, folder: folder)
    }

    private func resubmit(_ sweep: SweepFile, folder: SlurmSweepFolder, sweepFile: String) throws {
        var record = try SlurmSubmissionRecord.load(folder)
        guard record.sweep == sweepFile else {
            throw CLIError.badInput("\(folder.root) holds the Slurm sweep of \(record.sweep), not of \(sweepFile)")
        }
        if let shardCount, shardCount != record.shardCount {
            throw CLIError.badInput("\(folder.root) was split into \(record.shardCount) shards, not \(shardCount): "
                                    + "--resume keeps the shards (leave out --array)")
        }
        guard sweep.runCount == record.runs else { throw CLIError.badInput(SweepRunner.Failure.differentSweep(folder.root).description) }
        for index in 0..<record.shardCount
        where FileManager.default.fileExists(atPath: (folder.shard(index) as NSString).appendingPathComponent("sweep.json")) {
            do {
                try SweepRunner.checkSameSweep(sweep, directory: folder.shard(index))
            } catch let failure as SweepRunner.Failure {
                throw CLIError.badInput(failure.description)
            }
        }
        let status = try SlurmSweepStatus.read(folder)
        if !status.active.isEmpty {
            let jobs = Set(status.active.compactMap { record.latest(for: $0)?.arrayJob }).sorted().joined(separator: " ")
            let shards = status.active.count == 1 ? "shard \(status.active[0]) is"
                : "shards " + status.active.map(String.init).joined(separator: ", ") + " are"
            throw CLIError.badInput("\(shards) still queued or running (job \(jobs)): wait for them to end, or "
                                    + "`scancel \(jobs)`, then resume")
        }
        if case .active(let state) = status.merge {
            throw CLIError.badInput("the merge job \(status.mergeJob ?? "") is \(state): wait for it to end")
        }
        // A merge job left waiting on a dependency that failed would otherwise stay queued for good.
        if let mergeJob = status.mergeJob, status.merge == .waiting || status.merge == .neverRuns {
            let cancelled = try SlurmClient.run("scancel", [mergeJob])
            if cancelled.status != 0 { throw CLIError.runFailed("scancel \(mergeJob) failed: \(cancelled.stderrLine)") }
            print("cancelled merge job \(mergeJob), which was waiting for shards that did not succeed")
        }
        if status.unfinished.isEmpty && status.isMerged {
            print("nothing to resubmit: every shard is done and \(folder.results) holds all \(record.runs) runs")
            return
        }
        try prepare(folder)
        try submitJobs(shards: status.unfinished, all: false, record: &record, folder: folder)
    }

    private func prepare(_ folder: SlurmSweepFolder) throws {
        do {
            for path in [folder.root, folder.slurm, folder.tasks, folder.logs, folder.shards] {
                try OutputFile.makeFolder(path)
            }
        } catch {
            throw CLIError(error)
        }
        // Tasks on other nodes write here: check now what can be checked from this one.
        guard access(folder.root, W_OK) == 0 else {
            throw CLIError.runFailed("\(folder.root): error: not writable by this user; the array tasks would fail")
        }
        if let kind = Self.hostLocalFileSystem(folder.root) {
            FileHandle.standardError.write(Data(("note: \(folder.root) is on \(kind), which only this host sees: tasks "
                + "on other nodes cannot reach it (fine on a one-host cluster)\n").utf8))
        }
    }

    /// Submits the array job for `shards` (the script's own `--array` when `all`), then the merge job after it.
    /// With no shards, only a merge job.
    private func submitJobs(shards: [Int], all: Bool, record: inout SlurmSubmissionRecord,
                            folder: SlurmSweepFolder) throws {
        var arrayJob: String?
        if !shards.isEmpty {
            let range = all ? [] : ["--array=" + ArrayIndexes.text(shards)]
            arrayJob = try sbatch(["--parsable"] + range + [folder.arrayScript])
            record.submissions.append(.init(arrayJob: arrayJob, mergeJob: nil, shards: shards))
            try record.save(folder)
        }
        let mergeJob: String
        do {
            mergeJob = try sbatch(["--parsable"] + (arrayJob.map { ["--dependency=afterok:\($0)"] } ?? [])
                                  + [folder.mergeScript])
        } catch let error as CLIError {
            guard let arrayJob else { throw error }
            throw CLIError.runFailed("array job \(arrayJob) is submitted but the merge job is not: \(error.description)")
        }
        if arrayJob == nil {
            record.submissions.append(.init(arrayJob: nil, mergeJob: mergeJob, shards: []))
        } else {
            record.submissions[record.submissions.count - 1].mergeJob = mergeJob
        }
        try record.save(folder)
        let visag = Self.executablePath
        if let arrayJob {
            let list = ArrayIndexes.text(shards)
            print("submitted array job \(arrayJob) (\(shards.count) task\(shards.count == 1 ? "" : "s"): shard"
                  + (shards.count == 1 ? " " : "s ") + "\(list) of \(record.shardCount) over \(record.runs) runs, "
                  + "\(cpusPerTaskText)) "
                  + "and merge job \(mergeJob) (runs once every task succeeded)")
            print("watch: squeue -j \(arrayJob),\(mergeJob)    or: \(visag) sweep status \(folder.root)")
        } else {
            print("every shard is done; submitted merge job \(mergeJob)")
            print("watch: squeue -j \(mergeJob)    or: \(visag) sweep status \(folder.root)")
        }
        print("when job \(mergeJob) ends: \(folder.results), summary.csv and report.html")
    }

    private var cpusPerTaskText: String {
        resume ? "cores per task as in the script" : "\(cpusPerTask) core\(cpusPerTask == 1 ? "" : "s") each"
    }

    /// `sbatch --parsable …`: the job id it prints (`123` or `123;cluster`).
    private func sbatch(_ arguments: [String]) throws -> String {
        let result = try SlurmClient.run("sbatch", arguments)
        let id = result.stdout.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard result.status == 0, !id.isEmpty, id.allSatisfy(Self.isDigit) else {
            let message = "sbatch \(arguments.last ?? "") failed: " + (result.stderrLine.isEmpty ? "exit \(result.status)" : result.stderrLine)
            // sbatch refusing what it was asked ("Invalid partition name specified", "Invalid account …",
            // "Requested time limit is invalid") is bad input; no configuration or no controller is not.
            throw result.stderr.lowercased().contains("invalid") ? CLIError.badInput(message) : CLIError.runFailed(message)
        }
        return id
    }

    static func absolute(_ path: String) -> String {
        let url = path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(path)
        return url.standardizedFileURL.path
    }

    /// `#SBATCH --output=` cannot hold every path: Slurm expands `%` in it and splits at white space.
    static func checkFolderPath(_ path: String) throws {
        if let bad = path.first(where: { $0.isWhitespace || "%\\\"'$`".contains($0) }) {
            throw CLIError.badInput("--out \(path): Slurm's #SBATCH lines cannot hold a path with \"\(bad)\" in it; "
                                    + "choose another folder")
        }
    }

    /// This executable, by absolute path: the scripts run it on other nodes.
    static var executablePath: String {
        if let resolved = realpath("/proc/self/exe", nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        return absolute(Bundle.main.executablePath ?? CommandLine.arguments[0])
    }

    /// The file system type (from /proc/mounts) when `path` is on one only this host can see; nil otherwise.
    static func hostLocalFileSystem(_ path: String) -> String? {
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return nil }
        var best: (point: String, type: String)?
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 2 else { continue }
            // Spaces in a mount point are written \040.
            let point = fields[1].replacingOccurrences(of: "\\040", with: " ")
            let within = point == "/" || path == point || path.hasPrefix(point + "/")
            if within, point.count >= (best?.point.count ?? 0) { best = (point, String(fields[2])) }
        }
        guard let type = best?.type, ["tmpfs", "ramfs"].contains(type) else { return nil }
        return type
    }
}
