import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `visag bench matrix-worker --guard -- PROGRAM ARGS…`: runs a program the benchmark does not
/// control (sshd, an ssh client) so that it cannot outlive the coordinator.
///
/// The guard's stdin is a pipe from the coordinator; when it reaches EOF (the coordinator ended
/// it, exited or was killed), or the guard gets SIGTERM, SIGINT or SIGHUP, the guard terminates
/// the program and reaps it. It exits with the program's status when the program ends first.
/// The program shares that stdin: nothing is ever written to it, so an ssh client reads no
/// input (and sends no EOF into its session) until the coordinator lets go.
public enum ProcessGuard {
    public static func run(arguments: [String]) -> Int32 {
        guard let program = arguments.first, program.hasPrefix("/") else {
            FileHandle.standardError.write(Data("visag matrix-worker --guard: needs an absolute program path\n".utf8))
            return 2
        }
        signal(SIGPIPE, SIG_IGN)
        let child: ChildProcess
        do {
            child = try ChildProcess(name: (program as NSString).lastPathComponent, arguments: arguments,
                                     stdin: .inherit, stdout: .inherit, stderr: .inherit)
        } catch {
            FileHandle.standardError.write(Data("visag matrix-worker --guard: \(error)\n".utf8))
            return 1
        }
        let stop: @Sendable (Int32) -> Never = { status in
            child.terminate(graceSeconds: 2)
            _exit(status)
        }
        var sources: [any DispatchSourceSignal] = []
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] {
            signal(signalNumber, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
            source.setEventHandler { stop(128 + signalNumber) }
            source.resume()
            sources.append(source)
        }
        let watch = Thread {
            var byte: UInt8 = 0
            while true {
                let count = read(0, &byte, 1)
                if count == 0 || (count < 0 && errno != EINTR) { stop(0) }
            }
        }
        watch.stackSize = 64 * 1024
        watch.start()
        while child.waitForExit(timeoutSeconds: 3600) == nil {}
        withExtendedLifetime(sources) {}
        return child.exitStatus ?? 1
    }
}
