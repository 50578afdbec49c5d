import Foundation
import Model
import Real

/// The worker VMs of `bench matrix --guests tcg`: real QEMU guests under TCG, one per node
/// (`node<i>_worker1`), booted once for the whole benchmark from the image `scripts/tcg-guest/`
/// builds with the worker executable and its libraries added (`add-worker.sh`), each snapshotted
/// clean while running. Every cell's application then has Model revert them, read their address,
/// write the routed keys, and the worker start through the forced command. Each guest has two
/// loopback forwards at its address 127.0.<node>.1: SSH (the guest channel) and the worker's port.
///
/// Boot is not part of a cell (the report's workers were running VMs too); `bootSeconds` says
/// what it cost. `tearDown()` removes every domain and stops the daemon it started.
final class TCGWorkerGuests: @unchecked Sendable {
    // `@unchecked Sendable`: everything is set in `init`; `host` is used from one thread at a time.
    /// Memory per guest: the initramfs holds the worker and its libraries (~170 MB unpacked).
    static let memoryPerGuestMiB = 640
    static let bootTimeoutSeconds = 240.0

    let host: TCGGuestHost
    let channel: QEMUGuestChannel
    /// The host side of every guest's forward to the worker's port.
    let workerHostPort: UInt16
    let bootSeconds: Double
    let count: Int

    /// Boots `count` guests holding the worker `executable`; `progress` gets one line per guest.
    init(count: Int, executable: String, progress: (String) -> Void = { _ in }) throws {
        let started = MonotonicClock.nowSeconds()
        do {
            host = try TCGGuestHost(statePrefix: "visag-matrix", workerBinary: executable)
        } catch {
            throw MatrixBenchError.failed("setting up the TCG guests: \(error)")
        }
        do {
            let guests = (0..<count).map { node in
                GuestTarget(vm: VMID(node), node: NodeID(node), ordinal: 1,
                            domainName: WorkerNaming.domainName(node: NodeID(node), ordinal: 1))
            }
            let addresses = guests.compactMap { QEMUGuestChannel.forwardAddress(of: $0) }
            guard addresses.count == count, host.image.guestWorkerPort != nil else {
                throw MatrixBenchError.failed("the guest image has no matrix worker or a worker has no loopback address")
            }
            let sshPort = try LoopbackPort.free(on: addresses)
            var workerPort = try LoopbackPort.free(on: addresses)
            while workerPort == sshPort { workerPort = try LoopbackPort.free(on: addresses) }
            channel = try QEMUGuestChannel(image: host.image, hostPort: sshPort, readyTimeoutSeconds: 60)
            workerHostPort = workerPort
            for guest in guests {
                let bootStarted = MonotonicClock.nowSeconds()
                do {
                    _ = try host.makeWorker(guest, channel: channel, memoryMiB: Self.memoryPerGuestMiB,
                                            bootTimeoutSeconds: Self.bootTimeoutSeconds, workerHostPort: workerHostPort)
                } catch {
                    let console = host.consoleLog(of: guest).split(whereSeparator: \.isNewline).suffix(5)
                        .joined(separator: " | ")
                    throw MatrixBenchError.failed("could not make worker \(guest.domainName): \(error)"
                                                  + (console.isEmpty ? "" : " (console: \(console))"))
                }
                progress(String(format: "%@ booted under TCG and snapshotted in %.1f s", guest.domainName,
                                MonotonicClock.nowSeconds() - bootStarted))
            }
        } catch {
            host.tearDown()
            throw (error as? MatrixBenchError) ?? MatrixBenchError.failed("setting up the TCG guests: \(error)")
        }
        self.count = count
        bootSeconds = MonotonicClock.nowSeconds() - started
    }

    /// The `ssh` command that starts the worker in `slot`'s guest: through the forced command with the
    /// application's routed key (virtual-secure), or as the admin where Model routes no key (virtual).
    func workerSession(_ slot: WorkerVMs.Slot, channel kind: MatrixWorker.ChannelKind) throws -> [String] {
        let arguments = slot.keyWrites.isEmpty
            ? channel.adminSessionArguments(on: slot.guest, command: "/opt/visag/matrix-worker \(kind.rawValue)")
            : channel.objectSessionArguments(app: slot.app, on: slot.guest, command: "matrix \(kind.rawValue)")
        guard let arguments else {
            throw MatrixBenchError.failed("\(slot.guest.domainName) holds no key of application \(slot.app) to start the worker with")
        }
        return arguments
    }

    @discardableResult
    func tearDown() -> [String] { host.tearDown() }
}
