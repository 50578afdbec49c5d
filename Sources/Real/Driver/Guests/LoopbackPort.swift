import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Picks the one TCP port every worker's SSH forward uses: each forward binds its own loopback address, so the
/// port only has to be free on all of them.
public enum LoopbackPort {
    static let attempts = 50
    static let range: ClosedRange<UInt16> = 20_000...40_000

    /// A port nobody listens on at any of `addresses`; throws after `attempts` random tries.
    public static func free(on addresses: [GuestAddress]) throws -> UInt16 {
        for _ in 0..<attempts {
            let port = UInt16.random(in: range)
            if addresses.allSatisfy({ canBind($0, port: port) }) { return port }
        }
        throw QEMUGuestError.image("found no TCP port free on all \(addresses.count) worker forward address(es)")
    }

    static func canBind(_ address: GuestAddress, port: UInt16) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = address.raw.bigEndian
        return withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
