/// What the virtual modes' worker VMs are (`bench matrix --guests`).
public enum MatrixGuests: String, CaseIterable, Sendable, Codable {
    /// Domains of the libvirt connection (`--uri`, test:///default by default); each worker is a
    /// host process on its VM's loopback address.
    case simulated
    /// QEMU guests under TCG that the benchmark boots through qemu:///system; each worker runs in
    /// its guest.
    case tcg
}
