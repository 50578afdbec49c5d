import Foundation

/// Where the driver's one-line messages go (libvirt errors naming the domain and the operation, start-up and
/// clean-up notes). Standard error by default; tests collect the lines.
public struct DriverLog: Sendable {
    private let write: @Sendable (String) -> Void

    public init(_ write: @escaping @Sendable (String) -> Void) { self.write = write }

    public static let standardError = DriverLog { line in
        FileHandle.standardError.write(Data("visag real: \(line)\n".utf8))
    }

    public static let silent = DriverLog { _ in }

    /// Always one line: libvirt messages may span several.
    public func line(_ text: String) {
        write(text.split(whereSeparator: \.isNewline).joined(separator: " "))
    }
}
