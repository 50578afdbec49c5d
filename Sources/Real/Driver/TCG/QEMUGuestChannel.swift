import Foundation
import Sim
import Model

/// The guest channel for QEMU workers built from `QEMUGuestImage`: Prepare VM's guest-side work done over SSH to
/// the guest's dropbear, with the image's admin key (the hypervisor's way in, as VIX was for the report).
///
/// Addresses. With user-mode networking every guest sees itself as 10.0.2.15 and libvirt's address calls answer
/// nothing, so a worker's address is its host forward: `127.0.<node>.<ordinal>` port `hostPort` (the same
/// scheme as `SimulatedGuestChannel`), which `QEMUWorkerDomain` binds and the object runner connects to. Reading
/// the address asks the guest for its interface, so it fails while the guest's network is down.
///
/// Keys. Each key Model routes is a driver key identity; the guest gets a real Ed25519 key standing for it
/// (`SSHKeyVault`), behind the same SSH restrictions. The channel remembers which keys each guest holds since its
/// last revert, so the object runner logs in with the application's key and nothing else.
///
/// Readiness. After a revert or a resume the guest's SSH may take a moment to answer; the first call after one
/// retries connecting until `readyTimeoutSeconds`. Every call has a hard timeout.
///
/// `@unchecked Sendable`: `state` is read and written only under its lock; everything else is immutable.
public final class QEMUGuestChannel: GuestChannel, @unchecked Sendable {
    /// One guest call as measured on the wall clock.
    public struct CallTiming: Equatable, Sendable {
        public let domain: String
        public let operation: String
        public let wallSeconds: Double
        /// Connection attempts (more than one only while waiting for the guest to answer).
        public let attempts: Int
    }

    /// A key the guest holds: whose it is and what Model wrote it for.
    public struct HeldKey: Sendable {
        public let write: KeyWrite
        public let owner: String
        public let privateKeyPath: String
        /// The line written to `authorized_keys`.
        public let line: String
    }

    private struct GuestState {
        var waitForReady = true
        var keys: [HeldKey] = []
    }

    private struct State {
        var guests: [VMID: GuestState] = [:]
        var timings: [CallTiming] = []
        /// Every key written, to any guest, in order (not undone by reverts).
        var written: [(guest: GuestTarget, key: HeldKey)] = []
    }

    public let image: QEMUGuestImage
    public let hostPort: UInt16
    public let readyTimeoutSeconds: Double
    public let commandTimeoutSeconds: Double
    /// How long to wait between connection attempts while the guest is not answering.
    public static let retryPauseSeconds = 0.05
    static let authorizedKeysPath = "/root/.ssh/authorized_keys"
    static let hostKeyPath = "/etc/dropbear/dropbear_ed25519_host_key"

    let ssh: GuestSSH
    let vault: SSHKeyVault
    private let state = Locked(State())
    private let clock = ContinuousClock()

    public init(image: QEMUGuestImage, hostPort: UInt16, readyTimeoutSeconds: Double = 30,
                commandTimeoutSeconds: Double = 20) throws {
        self.image = image
        self.hostPort = hostPort
        self.readyTimeoutSeconds = readyTimeoutSeconds
        self.commandTimeoutSeconds = commandTimeoutSeconds
        ssh = GuestSSH(image: image, hostPort: hostPort)
        vault = try SSHKeyVault()
    }

    /// The loopback address a worker's forward is bound to; nil when the worker does not fit in 127.0.0.0/8.
    public static func forwardAddress(of guest: GuestTarget) -> GuestAddress? {
        SimulatedGuestChannel.address(of: guest)
    }

    // MARK: GuestChannel

    public func obtainAddress(of guest: GuestTarget, renewal: DHCPRenewal) throws -> GuestAddress? {
        // User-mode networking's DHCP server hands every guest the same lease for ever: nothing to renew.
        switch renewal {
        case .none, .renew, .reversePing: break
        }
        guard let address = Self.forwardAddress(of: guest) else { return nil }
        let output = try adminCommand("guest-address", on: guest, operation: "read the address")
        // "10.0.2.15/24 eth0": the guest's network is up.
        guard output.split(separator: " ").first?.contains("/") == true else {
            throw QEMUGuestError.command("guest \(guest): no IPv4 address on eth0 (got '\(output)')")
        }
        return address
    }

    public func fetchVMKey(of guest: GuestTarget) throws -> String {
        let output = try adminCommand("dropbearkey -y -f \(Self.hostKeyPath)", on: guest, operation: "fetch the VM key")
        guard let line = output.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("ssh-ed25519 ") }) else {
            throw QEMUGuestError.command("guest \(guest): no ssh-ed25519 key in dropbearkey's output")
        }
        let fields = line.split(separator: " ")
        let key = "\(fields[0]) \(fields[1])"
        // The connection was already checked against the pinned key; a different key on disk is a broken image.
        guard key == image.hostPublicKey else {
            throw QEMUGuestError.command("guest \(guest): host key on disk differs from the image's pinned key")
        }
        return "\(key) \(guest.domainName)"
    }

    @discardableResult
    public func writeKey(_ key: GuestKeyWrite, to guest: GuestTarget) throws -> [KeyWrite] {
        // Without a shell `>>` reaches `cat` as an argument: the call returns and nothing is appended.
        guard key.write.installs else { return heldKeys(on: guest).map(\.write) }
        let owner = KeyIdentity.owner(ofKeyLine: key.publicKey) ?? key.publicKey
        let real = try vault.key(for: owner)
        let comment = key.publicKey.split(separator: " ").dropFirst(2).first.map(String.init) ?? "visag"
        let line = key.write.restrictions.authorizedKeysLine(for: "\(real.publicKey) \(comment)")
        // The line goes inside single quotes; it never holds one (options use double quotes) nor a newline.
        guard !line.contains("'"), !line.contains(where: \.isNewline) else {
            throw QEMUGuestError.command("guest \(guest): refusing to write a key line with a quote or newline")
        }
        // Appended, then read back in the same session: what the guest holds is what the checker is told.
        let file = try adminCommand("printf '%s\\n' '\(line)' >> \(Self.authorizedKeysPath) && cat \(Self.authorizedKeysPath)",
                                    on: guest, operation: "write a key")
        let lines = Set(file.split(whereSeparator: \.isNewline).map(String.init))
        let held = HeldKey(write: key.write, owner: owner, privateKeyPath: real.privateKeyPath, line: line)
        return state.withLock { state in
            state.guests[guest.vm, default: GuestState()].keys.append(held)
            state.written.append((guest, held))
            return state.guests[guest.vm, default: GuestState()].keys.filter { lines.contains($0.line) }.map(\.write)
        }
    }

    public func hypervisorDidReset(_ guest: GuestTarget, _ reset: GuestReset) {
        state.withLock { state in
            switch reset {
            case .reverted, .poweredOff:
                // The clean snapshot holds the admin key only; a powered-off guest holds nothing until reverted.
                state.guests[guest.vm] = GuestState(waitForReady: true, keys: [])
            case .suspended, .booted, .resumed:
                // A boot or resume keeps the guest's keys (only a revert takes them away); SSH comes back later.
                state.guests[guest.vm, default: GuestState()].waitForReady = true
            case .clonedFrom(let source):
                // A clone's disk is its source's; the forward of a clone is its own (a new domain definition).
                let keys = state.guests[source.vm]?.keys ?? []
                state.guests[guest.vm] = GuestState(waitForReady: true, keys: keys)
            }
        }
    }

    // MARK: For the object runner and for tests

    /// The key an object of `app` runs with on `guest`: the latest requester key written there for the
    /// application since the last revert, else its main node's key; nil if the guest holds neither.
    public func objectKey(app: AppID, on guest: GuestTarget) -> HeldKey? {
        state.withLock { state in
            let keys = state.guests[guest.vm]?.keys.filter { $0.write.app == app } ?? []
            let requester = keys.last { if case .requester = $0.write.kind { true } else { false } }
            let main = keys.last { if case .mainNode = $0.write.kind { true } else { false } }
            return requester ?? main
        }
    }

    /// `ssh` arguments for a session that logs in to `guest` with the key an object of `app` runs with
    /// (`objectKey`), so that the guest forces its command; `command` is what the session asks for. nil when the
    /// guest holds no key of the application or has no loopback forward.
    public func objectSessionArguments(app: AppID, on guest: GuestTarget, command: String,
                                       connectTimeoutSeconds: Int = 10) -> [String]? {
        guard let key = objectKey(app: app, on: guest), let address = Self.forwardAddress(of: guest) else { return nil }
        return [GuestSSH.executable] + ssh.arguments(host: "\(address)", identity: key.privateKeyPath, command: command,
                                                     connectTimeoutSeconds: connectTimeoutSeconds)
    }

    /// `ssh` arguments for `command` as the guest's admin (the hypervisor's guest access): how a build without
    /// key routing (the virtual mode) starts a process in the guest. nil when the guest has no loopback forward.
    public func adminSessionArguments(on guest: GuestTarget, command: String, connectTimeoutSeconds: Int = 10) -> [String]? {
        guard let address = Self.forwardAddress(of: guest) else { return nil }
        return [GuestSSH.executable] + ssh.arguments(host: "\(address)", identity: image.adminKeyPath, command: command,
                                                     connectTimeoutSeconds: connectTimeoutSeconds)
    }

    /// Keys the channel wrote to `guest` since its last revert.
    public func heldKeys(on guest: GuestTarget) -> [HeldKey] {
        state.withLock { $0.guests[guest.vm]?.keys ?? [] }
    }

    public var timings: [CallTiming] { state.withLock { $0.timings } }

    /// Every key written, to any guest, in order (what the guests were given, reverts notwithstanding).
    public var writtenKeys: [(guest: GuestTarget, key: HeldKey)] { state.withLock { $0.written } }

    /// Waits until the guest answers over SSH (after boot, a revert or a resume); throws after `timeoutSeconds`.
    public func waitUntilReady(_ guest: GuestTarget, timeoutSeconds: Double) throws {
        _ = try adminCommand("true", on: guest, operation: "wait for the guest", readyTimeoutSeconds: timeoutSeconds,
                             forceWait: true)
    }

    /// The user's `authorized_keys` as the guest has it.
    public func authorizedKeys(on guest: GuestTarget) throws -> [String] {
        try adminCommand("cat \(Self.authorizedKeysPath)", on: guest, operation: "read authorized_keys")
            .split(whereSeparator: \.isNewline).map(String.init)
    }

    /// Runs `command` with the private key at `identity`; the result as ssh reported it.
    func run(_ command: String, on guest: GuestTarget, identity: String,
             timeoutSeconds: Double? = nil) throws -> HostCommand.Result {
        guard let address = Self.forwardAddress(of: guest) else {
            throw QEMUGuestError.command("guest \(guest): no loopback forward address")
        }
        return try ssh.run(host: "\(address)", identity: identity, command: command,
                           timeoutSeconds: timeoutSeconds ?? commandTimeoutSeconds)
    }

    // MARK: Admin commands

    /// Runs `command` as the admin, first waiting for the guest to answer when it was reset since the last call.
    private func adminCommand(_ command: String, on guest: GuestTarget, operation: String,
                              readyTimeoutSeconds: Double? = nil, forceWait: Bool = false) throws -> String {
        let started = clock.now
        let pending = state.withLock { $0.guests[guest.vm, default: GuestState()].waitForReady }
        let wait = pending || forceWait
        let deadline = started + WallTime.duration(seconds: readyTimeoutSeconds ?? self.readyTimeoutSeconds)
        var attempts = 0
        while true {
            attempts += 1
            let remaining = WallTime.seconds(clock.now.duration(to: deadline))
            // While waiting, one attempt may not outlast the deadline (a guest that accepts but never answers).
            let timeout = wait ? max(0.5, min(commandTimeoutSeconds, remaining)) : commandTimeoutSeconds
            let result = try run(command, on: guest, identity: image.adminKeyPath, timeoutSeconds: timeout)
            if result.succeeded {
                record(guest, operation: operation, started: started, attempts: attempts)
                return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            let couldNotConnect = result.timedOut || result.status == GuestSSH.connectionFailureStatus
            guard wait, couldNotConnect, clock.now < deadline else {
                throw couldNotConnect
                    ? QEMUGuestError.notReady("guest \(guest): \(operation): no answer over SSH (\(result.stderrTail))")
                    : QEMUGuestError.command("guest \(guest): \(operation): exit \(result.status): \(result.stderrTail)")
            }
            Thread.sleep(forTimeInterval: Self.retryPauseSeconds)
        }
    }

    /// The guest answered: later calls need not wait for it until the next reset.
    private func record(_ guest: GuestTarget, operation: String, started: ContinuousClock.Instant, attempts: Int) {
        let wallSeconds = WallTime.seconds(started.duration(to: clock.now))
        state.withLock { state in
            state.timings.append(CallTiming(domain: guest.domainName, operation: operation, wallSeconds: wallSeconds,
                                            attempts: attempts))
            state.guests[guest.vm, default: GuestState()].waitForReady = false
        }
    }
}
