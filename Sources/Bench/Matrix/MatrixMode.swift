/// The report's four builds as benchmark modes, plus a second secure channel.
///
/// - `standard`: plain TCP (POP-C++'s standard build).
/// - `secure`: TLS 1.3 (AES-128-GCM), both ends authenticated by certificates of a throwaway
///   authority generated for the run.
/// - `secure-ssh`: the channel POP-C++'s secure build really used: an SSH tunnel through the
///   system's OpenSSH, to an sshd the benchmark starts on 127.0.0.1 with throwaway keys.
/// - `virtual`: each worker in a worker VM that Model prepared through the real backend
///   (libvirt), reached over plain TCP at the VM's address.
/// - `virtual-secure`: the same VMs, reached over TLS 1.3 with the keys Model's security
///   manager routed to each VM (no authority: each end trusts the other's key).
public enum MatrixMode: String, CaseIterable, Sendable, Codable {
    case standard
    case secure
    case secureSSH = "secure-ssh"
    case virtual
    case virtualSecure = "virtual-secure"

    /// Workers run in worker VMs that Model prepares (and recycles) for the cell's application.
    public var usesWorkerVMs: Bool {
        switch self {
        case .standard, .secure, .secureSSH: false
        case .virtual, .virtualSecure: true
        }
    }

    /// What carries the bytes, for the report's header.
    public var channelDescription: String {
        switch self {
        case .standard: "plain TCP on 127.0.0.1, TCP_NODELAY"
        case .secure: "TLS 1.3 AES-128-GCM (OpenSSL), mutual Ed25519 certificates from a per-run CA"
        case .secureSSH: "OpenSSH tunnel: ssh -tt -L per worker to a per-run sshd on 127.0.0.1, aes128-gcm"
        case .virtual: "plain TCP to each worker VM's loopback address 127.0.<node>.<k>"
        case .virtualSecure: "TLS 1.3 AES-128-GCM to each worker VM's address, Ed25519 keys as Model routed them"
        }
    }

    /// The row of the 2011 table this mode is compared with, if any (the report measured only
    /// its standard and virtual-secure builds).
    var paperRow: PaperFigures.Row? {
        switch self {
        case .standard: .standard
        case .virtualSecure: .virtualSecure
        case .secure, .secureSSH, .virtual: nil
        }
    }
}
