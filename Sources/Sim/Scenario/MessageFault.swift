import Model

/// Service messages lost or delivered twice: each message sent during the window, of one of
/// the chosen kinds, is hit with `probability` (drawn from the fault stream).
public struct MessageFault: Equatable, Sendable {
    public var probability: Double
    /// Bit `MessageKind.index(body)` set: that kind is affected. All bits: every kind.
    public var kindMask: UInt32
    public var fromSeconds: Double
    public var toSeconds: Double

    public init(probability: Double, kinds: [String]? = nil, fromSeconds: Double = 0, toSeconds: Double = .infinity) {
        self.probability = probability
        kindMask = kinds.map { names in
            names.reduce(0) { mask, name in mask | (MessageKind.names.firstIndex(of: name).map { 1 << $0 } ?? 0) }
        } ?? UInt32.max
        self.fromSeconds = fromSeconds
        self.toSeconds = toSeconds
    }

    /// Whether this message, sent now, is exposed to the fault (the draw is the caller's).
    @inline(__always)
    func applies(to body: MessageBody, at time: Double) -> Bool {
        time >= fromSeconds && time < toSeconds && kindMask >> UInt32(MessageKind.index(body)) & 1 == 1
    }
}
