#if canImport(Glibc)
import Glibc
#endif

/// `strerror` text for an errno value, for one-line messages.
enum SystemError {
    static func text(_ code: Int32) -> String {
        guard let message = strerror(code) else { return "error \(code)" }
        return String(cString: message).lowercased()
    }
}
