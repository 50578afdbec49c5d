extension Array {
    /// Empties a short array and keeps its storage. `removeAll(keepingCapacity: true)` goes
    /// through the generic `replaceSubrange` (a few hundred instructions whatever the count);
    /// popping costs a few per element, which wins for the handful a placement holds.
    @inline(__always)
    mutating func removeAllShort() {
        while popLast() != nil {}
    }
}
