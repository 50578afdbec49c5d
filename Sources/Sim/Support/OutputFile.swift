import COutputCleanup
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file that cannot be written, with the reason: the CLI reports it as one line and exits 1, or 2 when the
/// path itself was bad input (empty).
public struct OutputError: Error, CustomStringConvertible {
    public var path: String
    public var message: String
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }
    /// An empty output path: a flag given no value, not a file that failed.
    public static let emptyPath = OutputError(path: "", message: "an output path is empty: give a file or folder name")
    public var isBadInput: Bool { path.isEmpty }
    public var description: String { path.isEmpty ? "error: \(message)" : "\(path): error: \(message)" }

    static func system(_ path: String, _ what: String, _ code: Int32) -> OutputError {
        OutputError(path: path, message: "\(what): \(String(cString: strerror(code)))")
    }
}

/// The one writer of every file visag produces (run, trace, Perfetto, sweep, report, shrink, bench, config).
///
/// What is at the path decides how it is written:
/// - nothing, or a regular file: the bytes go to a new file beside it (same folder, a name of its own) that is
///   renamed into place by `commit()`, so a reader sees the old file or the whole new one, never a part;
/// - a FIFO, a character or block device (`/dev/null`): opened and written through, never replaced;
/// - one of this process's descriptors (`/dev/stdout`, `/dev/fd/3`): written to that descriptor (sharing its
///   offset, so a shell's `> file` gets the trace and then the summary);
/// - a symbolic link: followed (to its final target), and that target written by the two rules above; the link
///   itself stays;
/// - a directory: an error naming the path.
///
/// The temporary file is registered with the SIGINT/SIGTERM/SIGHUP clean-up (`COutputCleanup`) while it exists
/// and removed by `discard()`, on every error, and when the object goes away uncommitted.
///
/// Not thread-safe: one thread writes one file.
public final class OutputFile {
    public struct Options: Sendable {
        /// The new file's mode; nil: 0666 less the umask. With a mode the file gets exactly that mode.
        public var mode: mode_t?
        /// fsync the file (and its folder after the rename) before returning from `commit()`.
        public var durable: Bool
        /// Refuse a path that exists (anything at it) instead of replacing it; the new file is then linked in,
        /// which fails if the name was taken meanwhile.
        public var refuseExisting: Bool
        /// Create the missing folders above the path.
        public var createFolders: Bool

        public init(mode: mode_t? = nil, durable: Bool = false, refuseExisting: Bool = false, createFolders: Bool = false) {
            self.mode = mode
            self.durable = durable
            self.refuseExisting = refuseExisting
            self.createFolders = createFolders
        }

        /// Owner-only files (encrypted configuration, keys): mode 0600, flushed to disk.
        public static let `private` = Options(mode: 0o600, durable: true)
    }

    /// The path as given.
    public let path: String
    /// Where the bytes end up: the path with its symbolic links followed.
    public let target: String
    /// The file beside `target` that `commit()` renames into place; nil when writing through.
    private let temporary: String?
    private let options: Options
    private var descriptor: Int32
    private var slot: Int32 = -1
    private var buffer: [UInt8] = []
    private var failure: OutputError?
    private var finished = false

    static let bufferBytes = 1 << 16
    private static let counter = Locked(0)

    public init(path: String, options: Options = Options()) throws(OutputError) {
        guard !path.isEmpty else { throw OutputError.emptyPath }
        self.path = path
        self.options = options
        var existing = stat()
        if options.refuseExisting, lstat(path, &existing) == 0 {
            if existing.st_mode & S_IFMT == S_IFDIR { throw OutputError(path: path, message: "is a directory") }
            throw OutputError(path: path, message: "already exists (remove it first)")
        }
        let (target, kind) = try Self.resolve(path)
        self.target = target
        switch kind {
        case .directory:
            throw OutputError(path: path, message: "is a directory; give a file name")
        case .descriptor(let number):
            let fd = fcntl(number, F_DUPFD_CLOEXEC, 0)
            guard fd >= 0 else { throw .system(path, "cannot write to descriptor \(number)", errno) }
            descriptor = fd
            temporary = nil
        case .special:
            let fd = open(target, O_WRONLY | O_NOCTTY | O_CLOEXEC)
            guard fd >= 0 else { throw .system(path, "cannot open for writing", errno) }
            descriptor = fd
            temporary = nil
        case .missing, .regular:
            let folder = Self.parent(of: target)
            if options.createFolders { try Self.makeFolder(folder) }
            let name = Self.lastComponent(of: target)
            var created: (String, Int32, Int32)? = nil
            for _ in 0..<100 {
                let number = Self.counter.withLock { value -> Int in
                    value += 1
                    return value
                }
                let candidate = Self.join(folder, ".\(name).tmp-\(getpid())-\(number)")
                let registered = visag_output_cleanup_register(candidate, 0)
                let fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, options.mode ?? 0o666)
                if fd >= 0 {
                    created = (candidate, fd, registered)
                    break
                }
                let code = errno
                visag_output_cleanup_forget(registered)
                if code == EEXIST { continue }
                if code == ENOENT || code == ENOTDIR {
                    throw OutputError(path: path, message: "its folder \(folder) does not exist or is not a folder")
                }
                throw .system(path, "cannot create a file in \(folder)", code)
            }
            guard let (candidate, fd, registered) = created else {
                throw OutputError(path: path, message: "cannot find a free temporary name in \(folder)")
            }
            temporary = candidate
            descriptor = fd
            slot = registered
            if let mode = options.mode, fchmod(fd, mode) != 0 {
                let code = errno
                discard()
                throw .system(path, "cannot set the mode", code)
            }
        }
        buffer.reserveCapacity(Self.bufferBytes)
    }

    deinit {
        if !finished { discard() }
    }

    /// Whether the bytes go straight to what is at the path (a FIFO or device) instead of a file renamed into place.
    public var writesThrough: Bool { temporary == nil }

    /// Appends text (buffered). A write error is kept and reported by `commit()`.
    public func write(_ text: String) {
        var text = text
        text.withUTF8 { append(UnsafeRawBufferPointer($0)) }
    }

    public func write(line: String) {
        write(line)
        buffer.append(0x0A)
        if buffer.count >= Self.bufferBytes { flush() }
    }

    /// Writes bytes without keeping a copy of them (secrets): the buffer is flushed first.
    public func write(unbuffered bytes: UnsafeRawBufferPointer) {
        flush()
        writeAll(bytes)
    }

    private func append(_ bytes: UnsafeRawBufferPointer) {
        if bytes.count >= Self.bufferBytes {
            flush()
            writeAll(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.bufferBytes { flush() }
    }

    private func flush() {
        guard !buffer.isEmpty else { return }
        buffer.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil, !finished, bytes.count > 0 else { return }
        var offset = 0
        while offset < bytes.count {
            let written = Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0 {
                if errno == EINTR { continue }
                failure = .system(path, "cannot write", errno)
                return
            }
            offset += written
        }
    }

    /// Flushes, and renames the file into place (or finishes writing through). On any error nothing is left
    /// beside the target and the error is thrown.
    public func commit() throws(OutputError) {
        guard !finished else { return }
        flush()
        if failure == nil, options.durable, temporary != nil, fsync(descriptor) != 0 {
            failure = .system(path, "cannot flush to disk", errno)
        }
        if let failure {
            discard()
            throw failure
        }
        finished = true
        let closed = close(descriptor)
        let closeError = errno
        guard let temporary else {
            if closed != 0 { throw .system(path, "cannot finish writing", closeError) }
            return
        }
        var code: Int32 = closed == 0 ? 0 : closeError
        if code == 0 {
            if options.refuseExisting {
                if link(temporary, target) != 0 { code = errno }
                unlink(temporary)
            } else if rename(temporary, target) != 0 {
                code = errno
            }
        }
        if code != 0 { unlink(temporary) }
        visag_output_cleanup_forget(slot)
        slot = -1
        if code == EEXIST { throw OutputError(path: path, message: "already exists (remove it first)") }
        if code == EISDIR || code == ENOTEMPTY { throw OutputError(path: path, message: "is a directory; give a file name") }
        if code != 0 { throw .system(path, "cannot move the file into place", code) }
        if options.durable { Self.syncFolder(Self.parent(of: target)) }
    }

    /// Stops writing and removes the temporary file; a FIFO or device keeps what was already written to it.
    public func discard() {
        guard !finished else { return }
        finished = true
        close(descriptor)
        if let temporary { unlink(temporary) }
        visag_output_cleanup_forget(slot)
        slot = -1
    }

    // MARK: One-shot writes

    public static func write(_ text: String, to path: String, options: Options = Options()) throws(OutputError) {
        let file = try OutputFile(path: path, options: options)
        file.write(text)
        try file.commit()
    }

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String, options: Options = Options()) throws(OutputError) {
        let file = try OutputFile(path: path, options: options)
        file.write(unbuffered: bytes)
        try file.commit()
    }

    // MARK: Paths

    enum Kind { case missing, regular, special, directory, descriptor(Int32) }

    /// N if `path` is this process's descriptor N (`/proc/self/fd/N`, `/dev/fd/N`, `/proc/<own pid>/fd/N`).
    static func ownDescriptor(_ path: String) -> Int32? {
        guard let number = Int32(lastComponent(of: path)), number >= 0,
              let folder = realpath(parent(of: path), nil) else { return nil }
        defer { free(folder) }
        return String(cString: folder) == "/proc/\(getpid())/fd" ? number : nil
    }

    /// Follows symbolic links at `path` (relative ones from the link's folder) to what they finally name.
    /// A link into /proc (`/dev/stdout` -> `/proc/self/fd/1` -> `pipe:[…]`) names an open file, not a path: what
    /// it leads to is written through, whatever it is (a pipe, a terminal, the file a shell redirected to).
    static func resolve(_ path: String) throws(OutputError) -> (String, Kind) {
        var current = trimmingTrailingSlashes(path)
        for _ in 0..<40 {
            if let descriptor = ownDescriptor(current) { return (path, .descriptor(descriptor)) }
            if current.hasPrefix("/proc/") {
                var info = stat()
                guard stat(path, &info) == 0 else { throw .system(path, "cannot open for writing", errno) }
                return (path, info.st_mode & S_IFMT == S_IFDIR ? .directory : .special)
            }
            var info = stat()
            guard lstat(current, &info) == 0 else {
                let code = errno
                if code == ENOENT { return (current, .missing) }
                if code == ENOTDIR {
                    throw OutputError(path: path, message: "its folder \(parent(of: current)) is not a folder")
                }
                throw .system(path, "cannot examine \(current)", code)
            }
            switch info.st_mode & S_IFMT {
            case S_IFLNK:
                var bytes = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let count = readlink(current, &bytes, bytes.count - 1)
                guard count > 0 else { throw .system(path, "cannot read the link \(current)", errno) }
                let link = String(decoding: bytes[0..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                current = link.hasPrefix("/") ? link : join(parent(of: current), link)
            case S_IFDIR: return (current, .directory)
            case S_IFREG: return (current, .regular)
            default: return (current, .special)
            }
        }
        throw OutputError(path: path, message: "too many levels of symbolic links")
    }

    /// Creates `folder` and the folders above it that are missing.
    public static func makeFolder(_ folder: String) throws(OutputError) {
        var info = stat()
        if stat(folder, &info) == 0 {
            guard info.st_mode & S_IFMT == S_IFDIR else { throw OutputError(path: folder, message: "exists and is not a folder") }
            return
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw OutputError(path: folder, message: "cannot create the folder (\(error.localizedDescription))")
        }
    }

    static func trimmingTrailingSlashes(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }

    static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = String(path[..<slash])
        return parent.isEmpty ? "/" : parent
    }

    static func lastComponent(of path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? path
    }

    static func join(_ folder: String, _ name: String) -> String {
        folder == "/" ? "/" + name : folder + "/" + name
    }

    /// Makes a rename durable; a failure here loses nothing already written, so it is not reported.
    static func syncFolder(_ folder: String) {
        let fd = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        fsync(fd)
        close(fd)
    }

    /// Removes every registered temporary file and folder now: for signal handlers other than the writer's own
    /// (dispatch sources, which leave the signal ignored, so the writer's handler is not installed).
    public static func removeRegisteredTemporaries() { visag_output_cleanup_remove_all() }

    /// How many temporary paths are registered for removal on a signal (for tests).
    public static var registeredTemporaryCount: Int { Int(visag_output_cleanup_count()) }
}
