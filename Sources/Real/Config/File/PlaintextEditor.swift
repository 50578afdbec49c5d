import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Lets the user edit a plaintext in their editor: the plaintext goes to a 0600 file in a fresh 0700 directory
/// (in /dev/shm when there is one, so it stays in memory), the editor runs in the foreground on the terminal, and
/// the whole directory (with any swap or backup file the editor made) is removed afterwards, whatever happened.
public enum PlaintextEditor {
    /// `$VISUAL`, else `$EDITOR`, else `vi`. It may carry arguments (`code --wait`): it runs through `sh -c`.
    public static func editorCommand(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for name in ["VISUAL", "EDITOR"] {
            if let value = environment[name], !value.trimmingCharacters(in: .whitespaces).isEmpty { return value }
        }
        return "vi"
    }

    /// The edited text, or nil when it is byte for byte the same. `path` (the encrypted file) names it in
    /// errors; `fileName` is the plaintext's name in the temporary directory (editors pick a syntax from it).
    static func edit(_ plaintext: SecretBytes, path: String, fileName: String, editorCommand: String)
        throws(ConfigCryptoError) -> SecretBytes?
    {
        let signals = EditSignalGuard()
        defer { signals.restore() }
        guard let directory = makePrivateDirectory() else {
            throw .editorFailed(path: path, reason: "could not make a private temporary directory: \(SystemError.text(errno))")
        }
        defer { removeTree(directory) }
        let file = directory + "/" + fileName
        try PrivateFileWriter.write(plaintext, to: file, replacing: false)
        let status = try run(editorCommand, on: file, path: path, signals: signals)
        if let signal = signals.interruption { throw .interrupted(path: path, signal: signal) }
        if status.signal != 0 {
            throw .editorFailed(path: path, reason: "the editor (\(editorCommand)) was killed by signal \(status.signal)")
        }
        if status.exit != 0 {
            throw .editorFailed(path: path, reason: "the editor (\(editorCommand)) exited with status \(status.exit)")
        }
        let edited = try BoundedFileReader.read(path: file, limitBytes: EncryptedConfigHeader.maxPlaintextByteCount)
        return edited.constantTimeEquals(plaintext) ? nil : edited
    }

    /// Runs `sh -c '<editor> "$1"' visag-edit <file>` in this process group (so it owns the terminal) with the
    /// default signal handlers, and waits for it.
    private static func run(_ command: String, on file: String, path: String, signals: EditSignalGuard)
        throws(ConfigCryptoError) -> (exit: Int32, signal: Int32)
    {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for number in EditSignalGuard.ignored + EditSignalGuard.interrupting { sigaddset(&defaults, number) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let arguments = ["/bin/sh", "-c", "\(command) \"$1\"", "visag-edit", file]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, "/bin/sh", nil, &attributes, &argv, environ)
        guard spawned == 0 else {
            throw .editorFailed(path: path, reason: "could not start the editor: \(SystemError.text(spawned))")
        }
        signals.editorStarted(pid)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { break }
        }
        signals.editorStarted(nil)
        let signal = status & 0x7f
        return signal == 0 ? ((status >> 8) & 0xff, 0) : (0, signal)
    }

    private static func makePrivateDirectory() -> String? {
        var bases: [String] = []
        var info = stat()
        if stat("/dev/shm", &info) == 0, info.st_mode & S_IFMT == S_IFDIR, access("/dev/shm", W_OK) == 0 {
            bases.append("/dev/shm")
        }
        bases.append(ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp")
        for base in bases {
            var template = Array("\(base)/visag-edit-XXXXXX".utf8CString)
            // mkdtemp makes the directory 0700.
            if let made = mkdtemp(&template) { return String(cString: made) }
        }
        return nil
    }

    /// Removes the directory and everything in it; what cannot be removed is left (nothing better to do).
    private static func removeTree(_ directory: String) {
        try? FileManager.default.removeItem(atPath: directory)
    }
}
