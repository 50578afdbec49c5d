import Dispatch
import Foundation
import Sim

/// Turns SIGINT and SIGTERM into `RealDriver.stop(reason:)`, so a run interrupted from the keyboard or by a
/// service manager still reverts every worker it touched. The default handlers are ignored while installed (a
/// dispatch source only sees a signal the process does not die of). A second signal gives up on the clean-up
/// and exits at once.
///
/// `@unchecked Sendable`: `sources` is fixed at init and only cancelled; the count is `Locked`.
public final class SignalStop: @unchecked Sendable {
    public static let handledSignals: [Int32] = [SIGINT, SIGTERM]

    private let sources: [DispatchSourceSignal]
    private let received = Locked(0)

    /// `onSignal` runs on a dispatch queue with the signal's name (`SIGINT`, `SIGTERM`) when the first one arrives.
    public init(log: DriverLog = .standardError, onSignal: @escaping @Sendable (String) -> Void) {
        let queue = DispatchQueue(label: "visag-real-signals")
        var sources: [DispatchSourceSignal] = []
        for number in Self.handledSignals {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
            sources.append(source)
        }
        self.sources = sources
        for (number, source) in zip(Self.handledSignals, sources) {
            let name = Self.name(of: number)
            source.setEventHandler { [received] in
                let count = received.withLock { count -> Int in
                    count += 1
                    return count
                }
                if count == 1 {
                    onSignal(name)
                } else {
                    log.line("\(name) again: exiting without finishing the clean-up")
                    exit(Self.exitStatus(forSignalNamed: name))
                }
            }
            source.resume()
        }
    }

    /// Stops `driver` on the first signal.
    public convenience init(stopping driver: RealDriver, log: DriverLog = .standardError) {
        self.init(log: log) { name in driver.stop(reason: name) }
    }

    /// Stops listening and gives the signals their default handlers back.
    public func cancel() {
        for source in sources { source.cancel() }
        for number in Self.handledSignals { signal(number, SIG_DFL) }
    }

    /// 128 + the signal number, the shell's convention for a process ended by a signal.
    public static func exitStatus(forSignalNamed name: String) -> Int32 {
        switch name {
        case "SIGINT": 128 + SIGINT
        case "SIGTERM": 128 + SIGTERM
        default: 1
        }
    }

    static func name(of number: Int32) -> String {
        switch number {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        default: "signal \(number)"
        }
    }
}
