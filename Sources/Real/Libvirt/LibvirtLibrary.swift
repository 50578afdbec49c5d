import CLibvirt
import Foundation

/// libvirt is loaded when the first connection opens, not when visag starts: libvirt and the ~40 libraries it
/// needs cost every process about 10 ms of start-up, and only the real backend calls it. CLibvirt defines each
/// libvirt function visag uses and forwards it to the library it loads.
enum LibvirtLibrary {
    /// Throws unless libvirt is loaded. Every other libvirt call relies on this having passed: CLibvirt aborts
    /// the process on a call it cannot forward.
    static func requireLoaded(operation: String) throws {
        let failure = visag_libvirt_load_error().map { String(cString: $0) }
        try require(loadFailure: failure, operation: operation)
    }

    /// Why `library` cannot provide the libvirt functions visag calls, or nil when it can. The process's own
    /// libvirt is left alone.
    static func loadFailure(of library: String) -> String? {
        guard let message = visag_libvirt_probe(library) else { return nil }
        defer { free(message) }
        return String(cString: message)
    }

    static func require(loadFailure: String?, operation: String) throws {
        guard let loadFailure else { return }
        throw LibvirtError.local(
            VIR_ERR_NO_CONNECT, operation: operation, message: "cannot load libvirt (\(loadFailure)): install libvirt0")
    }
}
