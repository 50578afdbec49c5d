/// The report's four builds as benchmark modes, plus a second secure channel.
///
/// - `standard`: plain TCP (POP-C++'s standard build).
/// - `secure`: TLS 1.3 (AES-128-GCM), both ends authenticated by certificates of a throwaway
///   authority generated for the run.
/// - `secure-ssh`: the channel POP-C++'s secure build really used: an SSH tunnel through the
///   system's OpenSSH, to an sshd the benchmark starts on 127.0.0.1 with throwaway keys.
/// - `virtual`, `virtual-secure`: workers inside VMs prepared by the real backend; not in this
///   build of the benchmark.
public enum MatrixMode: String, CaseIterable, Sendable, Codable {
    case standard
    case secure
    case secureSSH = "secure-ssh"
    case virtual
    case virtualSecure = "virtual-secure"

    /// Why this mode cannot run in this build, or nil.
    public var unavailableReason: String? {
        switch self {
        case .standard, .secure, .secureSSH:
            nil
        case .virtual, .virtualSecure:
            "mode \(rawValue) runs workers inside VMs prepared by the real backend (Sources/Real), "
                + "which comes with the real backend and is not part of this benchmark yet; use standard, secure or secure-ssh"
        }
    }

    /// What carries the bytes, for the report's header.
    public var channelDescription: String {
        switch self {
        case .standard: "plain TCP on 127.0.0.1, TCP_NODELAY"
        case .secure: "TLS 1.3 AES-128-GCM (OpenSSL), mutual Ed25519 certificates from a per-run CA"
        case .secureSSH: "OpenSSH tunnel: ssh -tt -L per worker to a per-run sshd on 127.0.0.1, aes128-gcm"
        case .virtual: "worker VMs (real backend)"
        case .virtualSecure: "worker VMs and SSH tunnels (real backend)"
        }
    }

    /// The row of the 2011 table this mode is compared with, if any.
    var paperRow: PaperFigures.Row? {
        switch self {
        case .standard: .standard
        case .virtualSecure: .virtualSecure
        case .secure, .secureSSH, .virtual: nil
        }
    }
}
