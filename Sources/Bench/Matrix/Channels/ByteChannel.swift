/// A reliable, ordered byte stream between the coordinator and one worker: plain TCP, TLS over
/// TCP, or TCP through an SSH tunnel. Frames (`Frame`) are written on top of it.
protocol ByteChannel: AnyObject, Sendable {
    /// What the channel is, for messages ("TLS to worker 3").
    var label: String { get }
    /// Sends all of `buffer`.
    func send(_ buffer: UnsafeRawBufferPointer) throws
    /// Fills `buffer` completely; throws if the peer closes first.
    func receive(into buffer: UnsafeMutableRawBufferPointer) throws
    /// Closes the channel; safe to call twice.
    func close()
}
