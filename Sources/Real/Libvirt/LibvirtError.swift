import CLibvirt
import Foundation

/// A failed libvirt operation.
///
/// Built from libvirt's last error, which libvirt keeps per thread: it is read on the calling thread right
/// after the failing call, before anything else can overwrite it. Credentials are never part of one.
public struct LibvirtError: Error, CustomStringConvertible, Sendable {
    /// libvirt's `virErrorNumber` raw value, e.g. 42 (`VIR_ERR_NO_DOMAIN`).
    public let code: Int32
    /// libvirt's `virErrorDomain` raw value: the part of libvirt that raised it (e.g. `VIR_FROM_TEST`),
    /// not a virtual machine.
    public let errorDomain: Int32
    /// What was attempted, e.g. `revert to snapshot "popc_clean"`.
    public let operation: String
    /// The virtual machine the operation was about, if any.
    public let domainName: String?
    /// libvirt's own message.
    public let message: String

    public init(code: Int32, errorDomain: Int32, operation: String, domainName: String?, message: String) {
        self.code = code
        self.errorDomain = errorDomain
        self.operation = Self.oneLine(operation)
        self.domainName = domainName.map(Self.oneLine)
        self.message = Self.oneLine(message)
    }

    public var description: String {
        let subject = domainName.map { "\(operation) of domain \"\($0)\"" } ?? operation
        return "libvirt: \(subject) failed: \(message) (code \(code))"
    }

    /// Domain, snapshot, pool or volume not found: the answer a lookup loop ("find worker 1, 2, … until a lookup
    /// fails") stops on, as opposed to a real failure.
    /// The connection's driver does not implement the call (e.g. esx:// and `virDomainListAllSnapshots`).
    public var isUnsupported: Bool { code == Int32(VIR_ERR_NO_SUPPORT.rawValue) }

    public var isNotFound: Bool {
        [VIR_ERR_NO_DOMAIN, VIR_ERR_NO_DOMAIN_SNAPSHOT, VIR_ERR_NO_STORAGE_POOL, VIR_ERR_NO_STORAGE_VOL]
            .contains { Int32($0.rawValue) == code }
    }

    /// libvirt messages may quote XML or command output over several lines; a log line must stay one line.
    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
    }
}

extension LibvirtError {
    /// The error libvirt recorded for the call that just failed on this thread.
    ///
    /// - Parameter secrets: strings to blank out of libvirt's message (a password libvirt might echo).
    static func last(
        operation: String,
        domainName: String? = nil,
        connection: OpaquePointer? = nil,
        secrets: [String] = []
    ) -> LibvirtError {
        // virConnGetLastError is the fallback for the rare path where libvirt recorded the error on the
        // connection only; it is not thread-safe, but we hold the connection's lock whenever we call it.
        let recorded = virGetLastError() ?? connection.flatMap { virConnGetLastError($0) }
        defer {
            virResetLastError()
            if let connection { virConnResetLastError(connection) }
        }
        guard let recorded else {
            return LibvirtError(
                code: Int32(VIR_ERR_INTERNAL_ERROR.rawValue), errorDomain: Int32(VIR_FROM_NONE.rawValue),
                operation: operation, domainName: domainName, message: "libvirt reported no error details")
        }
        var message = recorded.pointee.message.map { String(cString: $0) } ?? "no message"
        for secret in secrets where !secret.isEmpty {
            message = message.replacingOccurrences(of: secret, with: "<redacted>")
        }
        return LibvirtError(
            code: recorded.pointee.code, errorDomain: recorded.pointee.domain,
            operation: operation, domainName: domainName, message: message)
    }

    /// A failure this layer detects itself (closed connection, a domain that will not shut off, bad XML).
    static func local(
        _ number: virErrorNumber, operation: String, domainName: String? = nil, message: String
    ) -> LibvirtError {
        LibvirtError(
            code: Int32(number.rawValue), errorDomain: Int32(VIR_FROM_NONE.rawValue),
            operation: operation, domainName: domainName, message: message)
    }
}
