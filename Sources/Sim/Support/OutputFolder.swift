import COutputCleanup
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An output folder written as a whole (`run --out`, `bench matrix --out`): the files go into a new folder
/// beside it, which `commit()` swaps into place, so the folder holds one run's files, never a mix of two.
///
/// - A missing folder (and the folders above it) is created by the swap; a symbolic link to a folder is
///   followed and the link kept.
/// - An existing folder is replaced only if it is empty or holds an earlier run's files (its `marker`, e.g.
///   `summary.json`); any other non-empty folder is refused, so a mistyped `--out ~` deletes nothing. The
///   earlier folder is removed after the swap.
/// - A file the same run writes inside the folder (`--trace out/trace.jsonl`) goes into the new folder too
///   (`place(_:)`); a FIFO or device at such a path is written through and moved into the new folder.
/// - Until `commit()`, the new folder and its files are registered with the SIGINT/SIGTERM clean-up, and
///   `discard()` (or dropping the object) removes them.
public final class OutputFolder {
    /// The folder as given.
    public let path: String
    /// The folder it names, symbolic links followed.
    let target: String
    /// The new folder beside `target`.
    public let staging: String
    private var slots: [Int32] = []
    /// Entries (relative paths) of the earlier folder to move into the new one: FIFOs and devices written through.
    private var carried: [String] = []
    private var finished = false

    public init(path: String, marker: String) throws(OutputError) {
        self.path = path
        target = try Self.check(path: path, marker: marker)
        let parent = OutputFile.parent(of: target)
        let name = OutputFile.lastComponent(of: target)
        var made: String? = nil
        for attempt in 0..<100 {
            let candidate = OutputFile.join(parent, ".\(name).new-\(getpid())-\(attempt)")
            let slot = visag_output_cleanup_register(candidate, 1)
            if mkdir(candidate, 0o777) == 0 {
                slots.append(slot)
                made = candidate
                break
            }
            let code = errno
            visag_output_cleanup_forget(slot)
            if code != EEXIST { throw .system(path, "cannot create a folder in \(parent)", code) }
        }
        guard let made else { throw OutputError(path: path, message: "cannot find a free folder name in \(parent)") }
        staging = made
    }

    deinit {
        if !finished { discard() }
    }

    /// Checks that `path` can become an output folder (see the type's rules), creates the folders above it, and
    /// returns the folder it names (absolute, symbolic links followed).
    @discardableResult
    public static func check(path: String, marker: String) throws(OutputError) -> String {
        guard !path.isEmpty else { throw OutputError.emptyPath }
        let (resolved, kind) = try OutputFile.resolve(path)
        switch kind {
        case .regular, .special, .descriptor: throw OutputError(path: path, message: "exists and is not a folder")
        case .directory:
            let entries = (try? FileManager.default.contentsOfDirectory(atPath: resolved)) ?? []
            if !entries.isEmpty && !entries.contains(marker) {
                throw OutputError(path: path, message: "is a folder that holds no earlier output (no \(marker)); "
                    + "its files would be replaced: empty it or choose another folder")
            }
        case .missing: break
        }
        let target = absolute(resolved)
        try OutputFile.makeFolder(OutputFile.parent(of: target))
        return target
    }

    /// Writes `text` as the file `name` of the new folder.
    public func write(_ text: String, named name: String) throws(OutputError) {
        let file = track(OutputFile.join(staging, name), folder: false)
        do {
            try OutputFile.write(text, to: file)
        } catch {
            throw OutputError(path: OutputFile.join(path, name), message: error.message)
        }
    }

    /// Where to write the file `name` of the new folder when it is streamed rather than written whole (a run's
    /// series): `place(_:)` of that name inside this folder.
    public func place(named name: String) throws(OutputError) -> String {
        try place(OutputFile.join(path, name))
    }

    /// Where to write a file the run names by `file`: inside this folder, the same place in the new folder
    /// (folders created); elsewhere, `file` itself.
    public func place(_ file: String) throws(OutputError) -> String {
        if Self.canonical(file) == Self.canonical(target) {
            throw OutputError(path: file, message: "is the output folder itself; give a file name")
        }
        guard let relative = relativePath(of: file) else { return file }
        var info = stat()
        let existing = OutputFile.join(target, relative)
        if lstat(existing, &info) == 0 {
            switch info.st_mode & S_IFMT {
            case S_IFDIR: throw OutputError(path: file, message: "is a directory; give a file name")
            case S_IFREG: break
            case S_IFLNK:
                carried.append(relative)
                let (resolved, _) = try OutputFile.resolve(existing)
                return try place(resolved)
            default:
                carried.append(relative)
                return existing
            }
        }
        var folder = staging
        for component in relative.split(separator: "/").dropLast() {
            folder = OutputFile.join(folder, String(component))
            if mkdir(folder, 0o777) == 0 {
                _ = track(folder, folder: true)
            } else if errno != EEXIST {
                throw .system(file, "cannot create the folder \(folder)", errno)
            }
        }
        return track(OutputFile.join(staging, relative), folder: false)
    }

    /// Puts the new folder in place of the old one and removes the old one. On failure the old folder is left
    /// as it was (entries moved into the new folder are moved back) and the new one removed.
    public func commit() throws(OutputError) {
        guard !finished else { return }
        for relative in carried {
            let destination = OutputFile.join(staging, relative)
            try? FileManager.default.createDirectory(atPath: OutputFile.parent(of: destination),
                                                     withIntermediateDirectories: true)
            if rename(OutputFile.join(target, relative), destination) != 0, errno != ENOENT {
                let code = errno
                abandon()
                throw .system(path, "cannot move \(relative) into the new folder", code)
            }
        }
        var old: String? = nil
        var info = stat()
        let exists = lstat(target, &info) == 0
        if exists && info.st_mode & S_IFMT != S_IFDIR {
            abandon()
            throw OutputError(path: path, message: "exists and is not a folder")
        }
        if !exists {
            guard rename(staging, target) == 0 else {
                let code = errno
                abandon()
                throw .system(path, "cannot move the new folder into place", code)
            }
        } else if visag_exchange_paths(staging, target) == 0 {
            old = staging
        } else {
            // No atomic exchange here: move the old folder aside, then the new one in.
            let aside = staging + "-old"
            guard rename(target, aside) == 0 else {
                let code = errno
                abandon()
                throw .system(path, "cannot move the earlier folder aside", code)
            }
            guard rename(staging, target) == 0 else {
                let code = errno
                rename(aside, target)
                abandon()
                throw .system(path, "cannot move the new folder into place", code)
            }
            old = aside
        }
        finished = true
        for slot in slots { visag_output_cleanup_forget(slot) }
        slots.removeAll()
        if let old { try? FileManager.default.removeItem(atPath: old) }
    }

    /// A failed commit: the FIFOs and devices moved into the new folder go back where they were, then the new
    /// folder is removed.
    private func abandon() {
        for relative in carried {
            rename(OutputFile.join(staging, relative), OutputFile.join(target, relative))
        }
        discard()
    }

    /// Removes the new folder and everything in it.
    public func discard() {
        guard !finished else { return }
        finished = true
        try? FileManager.default.removeItem(atPath: staging)
        for slot in slots { visag_output_cleanup_forget(slot) }
        slots.removeAll()
    }

    private func track(_ path: String, folder: Bool) -> String {
        slots.append(visag_output_cleanup_register(path, folder ? 1 : 0))
        return path
    }

    /// `file`'s path relative to this folder if it lies inside it (symbolic links in its folders followed).
    private func relativePath(of file: String) -> String? {
        let folder = Self.canonical(OutputFile.parent(of: Self.absolute(file)))
        let root = Self.canonical(target)
        let name = OutputFile.lastComponent(of: file)
        if folder == root { return name }
        guard folder.hasPrefix(root == "/" ? "/" : root + "/") else { return nil }
        return String(folder.dropFirst(root == "/" ? 1 : root.count + 1)) + "/" + name
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The path with every existing part's symbolic links followed (realpath of the longest existing prefix),
    /// `.` and `..` removed.
    static func canonical(_ path: String) -> String {
        var head = (absolute(path) as NSString).standardizingPath
        var tail: [String] = []
        while head != "/" {
            if let resolved = realpath(head, nil) {
                defer { free(resolved) }
                head = String(cString: resolved)
                break
            }
            tail.insert(OutputFile.lastComponent(of: head), at: 0)
            head = OutputFile.parent(of: head)
        }
        return tail.reduce(head) { OutputFile.join($0, $1) }
    }
}
