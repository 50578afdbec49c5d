/// The known defects of the 2012 code (`visag-reference.md`). Each is a named switch so a
/// researcher can measure its cost and a tester can reproduce it in isolation.
public enum Defect: String, CaseIterable, Sendable {
    /// Runtime clone-ahead never fires: the free-VM count loop tests the wrong iterator.
    case cloneAheadNeverFires
    /// Start-up cloning with `num_clone < 0` clones the overshoot past `maxvm` instead of the room left.
    case startupCloneIgnoresMaxVM
    /// Reservation expiry is commented out: unused reservations are kept forever.
    case reservationsNeverExpire
    /// ApplicationEnd does not take the JobMgr mutex, so it races Reserve and Prepare VM.
    case applicationEndWithoutMutex
    /// A clone that fails part-way never calls back: its source VM stays held by the cloner.
    case cloneFailureNeverCallsBack
    /// SearchNode.removeJob overwrites the advertised resources (power, memory, bandwidth) with the
    /// removed job's requirements instead of adding them back; the job count stays exact, and at
    /// ApplicationEnd the JobMgr passes its available totals, so that overwrite is right. The
    /// advertisement gates discovery only in the standard and secure builds (`checkResource`); in
    /// the virtual builds `checkResource` is `checkVM` alone, so there the switch changes what is
    /// advertised and no discovery decision.
    case removeJobOverwrites
    /// A key written with an empty appId (`writePKI(emptyPOPAppID, …)`: the discovery answer's main key, Prepare
    /// VM's own-key write, `AllocResource`'s responder key) goes to the first running worker no application ever
    /// held, or nowhere when every worker has been held; a VM key reaching a main that no longer knows its
    /// application is dropped silently.
    case emptyAppIdKeyWriteDropped
    /// The guest-side append of a key runs without a shell, so the redirect never happens: the write returns
    /// success, the guest does not hold the key, and the connection that needs it is refused. Not part of
    /// `Fidelity.faithful`: the 2012 wrapper hands `cat <file> >> authorized_keys` to VMware's guest program
    /// runner, which on Linux guests runs programs through a shell (docs/FIDELITY.md), so on the original's
    /// ESX hosts the append worked. The switch models a guest runner that executes the program directly.
    case guestKeyAppendWithoutShell
    /// The requester key is kept from the discovery request (only where `checkVM` passed) and erased at its take
    /// (`addKeyToReqMap`, `getKeyFromReqMap`), instead of travelling with the Reserve.
    case requesterKeyTakeRaces
    /// An empty address is read again without a cap.
    case addressPollUncapped
    /// A clone keeps its source's SSH host keys (the disk copy carries them); nothing
    /// regenerates them, so two workers answer with one host identity. Simulator only.
    case cloneSharesHostKeys
}

/// A set of enabled defects, stored as a bit mask so checks on the hot path are one AND.
public struct Fidelity: Equatable, Sendable {
    public private(set) var mask: UInt32

    public init(enabled: [Defect] = []) {
        mask = 0
        for defect in enabled { set(defect, true) }
    }

    /// Behave like the 2012 code on its own platform: every defect that platform showed.
    public static let faithful = Fidelity(enabled: Defect.allCases.filter(\.showedOnTheOriginalPlatform))
    /// Every defect off: behave as the report intended.
    public static let fixed = Fidelity()

    public func has(_ defect: Defect) -> Bool { mask & Fidelity.bit(defect) != 0 }

    public mutating func set(_ defect: Defect, _ enabled: Bool) {
        if enabled { mask |= Fidelity.bit(defect) } else { mask &= ~Fidelity.bit(defect) }
    }

    public var enabled: [Defect] { Defect.allCases.filter(has) }

    /// Checked on the per-event path: a shift, not a search of `allCases`.
    @inline(__always)
    private static func bit(_ defect: Defect) -> UInt32 {
        UInt32(1) << UInt32(defect.ordinal)
    }
}

extension Defect {
    /// The defect's position in `allCases` (its bit in `Fidelity.mask`).
    var ordinal: UInt8 {
        switch self {
        case .cloneAheadNeverFires: 0
        case .startupCloneIgnoresMaxVM: 1
        case .reservationsNeverExpire: 2
        case .applicationEndWithoutMutex: 3
        case .cloneFailureNeverCallsBack: 4
        case .removeJobOverwrites: 5
        case .emptyAppIdKeyWriteDropped: 6
        case .guestKeyAppendWithoutShell: 7
        case .requesterKeyTakeRaces: 8
        case .addressPollUncapped: 9
        case .cloneSharesHostKeys: 10
        }
    }
}

extension Defect {
    /// Whether the 2012 code showed this defect on its own hosts (ESXi with VMware Tools in the guests).
    public var showedOnTheOriginalPlatform: Bool {
        switch self {
        case .guestKeyAppendWithoutShell: false
        case .cloneAheadNeverFires, .startupCloneIgnoresMaxVM, .reservationsNeverExpire, .applicationEndWithoutMutex,
             .cloneFailureNeverCallsBack, .removeJobOverwrites, .emptyAppIdKeyWriteDropped, .requesterKeyTakeRaces,
             .addressPollUncapped, .cloneSharesHostKeys: true
        }
    }
}
