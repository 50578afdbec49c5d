/// Timers Model asks for. The driver never cancels one: Model ignores a timer whose
/// generation no longer matches, so the engine stays a plain queue.
public enum Alarm: Equatable, Sendable {
    /// The initiator's discovery wait for one round is over.
    case discoveryWait(AppID, round: Int32)
    /// A reservation that was never used may now be released.
    case reservationExpiry(ObjectID, generation: UInt32)
    /// The initiator's object start timeout.
    case execTimeout(ObjectID, generation: UInt32)
    /// A creation round has waited for its answers as long as it may (fixed mode with a round
    /// timeout: a lost placement, Reserve or Execute message fails the round instead of hanging it).
    case roundTimeout(AppID, round: Int32)
    /// The pause after a failed creation round is over.
    case errorPauseOver(AppID)
    /// A free running VM has been idle long enough.
    case idleTimeout(VMID, generation: UInt32)
    /// A failed recycle waited its pause: try it again (the VM is still held for its application).
    case recycleRetry(VMID, ticket: UInt32)
    /// A prepare has waited for an address as long as it may.
    case addressWaitOver(VMID, ticket: UInt32)
}
