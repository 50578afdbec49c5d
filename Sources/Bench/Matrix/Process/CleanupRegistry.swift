import Foundation
import Sim
#if canImport(Glibc)
import Glibc
#endif

/// Every process and temporary directory the benchmark has started or created and not yet
/// ended, so that one call ends them all: at the end of a run, when a run fails, and from the
/// SIGINT/SIGTERM/SIGHUP handler.
///
/// `@unchecked Sendable`: the lists are touched only under `state`'s lock; the processes and
/// directories are themselves thread-safe to end twice.
public final class CleanupRegistry: @unchecked Sendable {
    public static let shared = CleanupRegistry()

    private struct State {
        var processes: [ChildProcess] = []
        var directories: [TemporaryDirectory] = []
        /// Runs that must stop before their processes end (worker VM drivers, which revert the
        /// workers they touched), by token.
        var stops: [(token: Int, stop: @Sendable () -> Void)] = []
        var nextToken = 0
        var signalSources: [any DispatchSourceSignal] = []
        var interruptingSignal: Int32?
    }

    private let state = Locked(State())
    /// Held for a whole clean-up: a second caller (the main thread failing because the signal
    /// handler just ended its workers) waits until everything is gone instead of exiting early.
    private let cleanupLock = NSLock()

    func register(_ process: ChildProcess) { state.withLock { $0.processes.append(process) } }
    func unregister(_ process: ChildProcess) { state.withLock { $0.processes.removeAll { $0 === process } } }
    func register(_ directory: TemporaryDirectory) { state.withLock { $0.directories.append(directory) } }
    func unregister(_ directory: TemporaryDirectory) { state.withLock { $0.directories.removeAll { $0 === directory } } }

    /// Registers a stop to run first at clean-up; returns the token that unregisters it.
    func register(stop: @escaping @Sendable () -> Void) -> Int {
        state.withLock { state in
            state.nextToken += 1
            state.stops.append((state.nextToken, stop))
            return state.nextToken
        }
    }

    func unregister(stop token: Int) { state.withLock { $0.stops.removeAll { $0.token == token } } }

    /// Processes still registered (for tests and leak checks).
    var liveProcessIDs: [pid_t] { state.withLock { $0.processes.map(\.pid) } }
    var liveDirectoryPaths: [String] { state.withLock { $0.directories.map(\.path) } }

    /// Ends every registered process, newest first (ssh clients before the workers and sshd they
    /// lead to), then removes every registered directory.
    public func cleanUpEverything() {
        cleanupLock.lock()
        defer { cleanupLock.unlock() }
        let (stops, processes, directories) = state.withLock { state in
            defer {
                state.stops.removeAll()
                state.processes.removeAll()
                state.directories.removeAll()
            }
            return (state.stops, state.processes, state.directories)
        }
        for entry in stops.reversed() { entry.stop() }
        let ordered = Array(processes.reversed())
        Self.terminate(ordered.filter { !$0.endsLast })
        let last = ordered.filter(\.endsLast)
        if !last.isEmpty {
            usleep(200_000)  // the ssh clients are gone; let sshd's sessions notice and be reaped
            Self.terminate(last)
        }
        for directory in directories { directory.remove() }
    }

    /// Ends several processes with one shared grace period instead of one each.
    static func terminate(_ processes: [ChildProcess]) {
        for process in processes { process.closeStdin() }
        let deadline = MonotonicClock.nowSeconds() + 1.5
        for process in processes { process.waitForExit(timeoutSeconds: max(0, deadline - MonotonicClock.nowSeconds())) }
        let remaining = processes.filter(\.isRunning)
        for process in remaining { kill(process.pid, SIGTERM) }
        let killDeadline = MonotonicClock.nowSeconds() + 1.5
        for process in remaining { process.waitForExit(timeoutSeconds: max(0, killDeadline - MonotonicClock.nowSeconds())) }
        for process in remaining where process.isRunning { process.terminate(graceSeconds: 0) }
        for process in processes { process.closeStdout() }
    }

    /// The signal that interrupted the run, if one did: the run's own failure (its workers were
    /// just ended under it) is then not the story to tell.
    public var interruptingSignal: Int32? { state.withLock { $0.interruptingSignal } }

    /// Ends everything; if a signal interrupted the run, exits as that signal's handler would.
    public func cleanUpAfterFailure() {
        cleanUpEverything()
        if let signalNumber = interruptingSignal { exit(128 + signalNumber) }
    }

    /// On SIGINT, SIGTERM or SIGHUP: end everything, then exit with 128 + the signal number.
    public func installSignalHandlers() {
        for signalNumber in [SIGINT, SIGTERM, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { [self] in
                state.withLock { $0.interruptingSignal = $0.interruptingSignal ?? signalNumber }
                FileHandle.standardError.write(Data("visag: interrupted; stopping workers and removing temporary files\n".utf8))
                cleanUpEverything()
                OutputFile.removeRegisteredTemporaries()
                exit(128 + signalNumber)
            }
            source.resume()
            state.withLock { $0.signalSources.append(source) }
        }
    }
}
