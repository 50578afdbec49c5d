import Dispatch
import Foundation

/// Signals while a plaintext copy exists on disk. SIGINT and SIGQUIT are ignored here (from a terminal they reach
/// the editor too, which decides what they mean, as git does). SIGTERM and SIGHUP do not kill this process, which
/// would leave the plaintext behind: they are recorded and passed on to the editor (killed 5 s later if it is
/// still there); the edit then ends as interrupted, after the plaintext is removed.
///
/// `@unchecked Sendable`: `state` is only touched under `lock`; `sources` is fixed at init.
final class EditSignalGuard: @unchecked Sendable {
    static let ignored: [Int32] = [SIGINT, SIGQUIT]
    static let interrupting: [Int32] = [SIGTERM, SIGHUP]
    static let killAfterWallSeconds = 5.0

    private let lock = NSLock()
    private var child: pid_t?
    private var firstSignal: Int32?
    private var sources: [DispatchSourceSignal] = []
    private let queue = DispatchQueue(label: "visag-config-edit-signals")

    init() {
        for number in Self.ignored + Self.interrupting { signal(number, SIG_IGN) }
        for number in Self.interrupting {
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            source.setEventHandler { [weak self] in self?.received(number) }
            source.resume()
            sources.append(source)
        }
    }

    /// The first interrupting signal, if any arrived.
    var interruption: Int32? { lock.withLock { firstSignal } }

    /// The editor's process, which signals are passed on to; nil once it has been reaped.
    func editorStarted(_ pid: pid_t?) {
        let pending = lock.withLock { () -> Int32? in
            child = pid
            return firstSignal
        }
        if let pid, let pending { kill(pid, pending) }
    }

    /// Gives every signal its default handler back.
    func restore() {
        for source in sources { source.cancel() }
        for number in Self.ignored + Self.interrupting { signal(number, SIG_DFL) }
    }

    private func received(_ number: Int32) {
        let target = lock.withLock { () -> pid_t? in
            if firstSignal == nil { firstSignal = number }
            return child
        }
        guard let target else { return }
        kill(target, number)
        queue.asyncAfter(deadline: .now() + Self.killAfterWallSeconds) { [weak self] in
            guard let self, let still = self.lock.withLock({ self.child }), still == target else { return }
            kill(target, SIGKILL)
        }
    }
}
