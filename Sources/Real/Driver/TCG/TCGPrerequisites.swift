import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What this machine needs to run worker guests under QEMU/TCG behind qemu:///system: root (the daemon serves the
/// system URI and QEMU runs as root) and the programs of a few Debian packages, all of which
/// `scripts/install-test-deps.sh` installs.
public enum TCGPrerequisites {
    public static let installScript = "scripts/install-test-deps.sh"

    /// Each program used, with the package that brings it.
    public static let tools: [(path: String, package: String)] = [
        ("/usr/sbin/libvirtd", "libvirt-daemon"), ("/usr/bin/qemu-system-x86_64", "qemu-system-x86"),
        ("/usr/bin/qemu-img", "qemu-utils"), ("/usr/bin/tini", "tini"), ("/usr/sbin/dropbear", "dropbear-bin"),
        ("/usr/bin/dropbearkey", "dropbear-bin"), ("/bin/busybox", "busybox-static"),
        ("/usr/bin/ssh", "openssh-client"), ("/usr/bin/ssh-keygen", "openssh-client"),
        ("/usr/bin/virsh", "libvirt-clients"),
        ("/usr/lib/x86_64-linux-gnu/libvirt/connection-driver/libvirt_driver_qemu.so", "libvirt-daemon-driver-qemu"),
    ]

    /// Whether the process may serve qemu:///system.
    public static var isRoot: Bool { getuid() == 0 }

    /// Missing programs, each as "`path` (`package`)", in the order of `tools`.
    public static func missingTools(fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) })
        -> [String]
    {
        tools.filter { !fileExists($0.path) }.map { "\($0.path) (\($0.package))" }
    }

    /// Packages that bring the missing programs, each once, in the order of `tools`.
    public static func missingPackages(fileExists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) })
        -> [String]
    {
        var packages: [String] = []
        for tool in tools where !fileExists(tool.path) && !packages.contains(tool.package) {
            packages.append(tool.package)
        }
        return packages
    }
}
