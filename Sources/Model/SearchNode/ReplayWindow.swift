/// Which of one sender's numbered messages the receiver has already taken, so that a
/// duplicated message changes nothing (the anti-replay window of IPsec, RFC 4303 §3.4.3).
/// Sequence numbers start at 1. A message more than `capacity` behind the newest one seen is
/// taken as a duplicate: a network that reorders that far loses it, which the accounting
/// invariant then reports.
struct ReplayWindow {
    static let capacity: UInt32 = 256
    private(set) var newest: UInt32 = 0
    /// Bit k of word k / 64: message `newest - k` was taken.
    private var seen: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    /// True (and remembered) the first time `sequence` arrives; false for a duplicate.
    mutating func accept(_ sequence: UInt32) -> Bool {
        precondition(sequence > 0, "sequence numbers start at 1")
        if sequence > newest {
            shift(by: sequence - newest)
            newest = sequence
            setBit(0)
            return true
        }
        let age = newest - sequence
        guard age < ReplayWindow.capacity, !bit(age) else { return false }
        setBit(age)
        return true
    }

    private func bit(_ age: UInt32) -> Bool {
        word(Int(age / 64)) >> UInt64(age % 64) & 1 == 1
    }

    private mutating func setBit(_ age: UInt32) {
        let k = Int(age / 64)
        setWord(k, word(k) | 1 << UInt64(age % 64))
    }

    /// Older messages move to higher ages. In place, highest word first: word k takes bits from
    /// words k - words and k - words - 1, which are not overwritten yet.
    private mutating func shift(by distance: UInt32) {
        guard distance < ReplayWindow.capacity else {
            seen = (0, 0, 0, 0)
            return
        }
        if distance < 64 {
            // The usual step (the next message in order): every word keeps its place.
            let bits = UInt64(distance), carry = 64 - bits
            seen = (seen.0 << bits, seen.1 << bits | seen.0 >> carry, seen.2 << bits | seen.1 >> carry,
                    seen.3 << bits | seen.2 >> carry)
            return
        }
        let words = Int(distance / 64)
        let bits = UInt64(distance % 64)
        for k in stride(from: 3, through: 0, by: -1) {
            let from = k - words
            var value: UInt64 = 0
            if from >= 0 {
                value = word(from) << bits
                if bits > 0 && from > 0 { value |= word(from - 1) >> (64 - bits) }
            }
            setWord(k, value)
        }
    }

    private func word(_ k: Int) -> UInt64 {
        switch k {
        case 0: seen.0
        case 1: seen.1
        case 2: seen.2
        default: seen.3
        }
    }

    private mutating func setWord(_ k: Int, _ value: UInt64) {
        switch k {
        case 0: seen.0 = value
        case 1: seen.1 = value
        case 2: seen.2 = value
        default: seen.3 = value
        }
    }
}
