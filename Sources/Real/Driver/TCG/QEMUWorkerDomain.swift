import Foundation
import Model

/// A worker VM for QEMU with TCG (`<domain type='qemu'>`, no KVM): the image's kernel and initramfs booted
/// directly, a qcow2 disk so that libvirt can take internal snapshots (memory included), and user-mode
/// networking whose only way in is one TCP forward bound to the worker's loopback address. No libvirt network,
/// no bridge: the NIC is given to QEMU on its command line (libvirt 9.0 refuses user networking with the passt
/// backend), with an explicit PCI slot so that the device model is the same after every revert.
public struct QEMUWorkerDomain: Sendable {
    public let guest: GuestTarget
    public let image: QEMUGuestImage
    public let diskPath: String
    /// The guest's serial console, appended to by QEMU (boot messages, dropbear's log).
    public let consolePath: String
    public let hostPort: UInt16
    /// The host side of the second forward, to the image's matrix worker port (nil: no second forward).
    public let workerHostPort: UInt16?
    public let memoryMiB: Int

    public static let emulator = "/usr/bin/qemu-system-x86_64"
    public static let qemuImg = "/usr/bin/qemu-img"
    static let diskSize = "16M"
    static let commandTimeoutSeconds = 30.0

    /// `directory` holds the worker's disk and console log.
    public init(guest: GuestTarget, image: QEMUGuestImage, directory: URL, hostPort: UInt16, memoryMiB: Int = 128,
                workerHostPort: UInt16? = nil) {
        self.guest = guest
        self.image = image
        diskPath = directory.appendingPathComponent("\(guest.domainName).qcow2").path
        consolePath = directory.appendingPathComponent("\(guest.domainName).console.log").path
        self.hostPort = hostPort
        self.workerHostPort = workerHostPort
        self.memoryMiB = memoryMiB
    }

    /// The forward `<address>:<hostPort>` → guest `:<guestSSHPort>` (and, with a worker port, `<address>:
    /// <workerHostPort>` → guest `:<guestWorkerPort>`), user-mode networking restricted to them.
    public var netdev: String? {
        QEMUGuestChannel.forwardAddress(of: guest).map { address in
            var forwards = "hostfwd=tcp:\(address):\(hostPort)-:\(image.guestSSHPort)"
            if let workerHostPort, let guestPort = image.guestWorkerPort {
                forwards += ",hostfwd=tcp:\(address):\(workerHostPort)-:\(guestPort)"
            }
            return "user,id=visagnet0,restrict=on," + forwards
        }
    }

    public var xml: String {
        """
        <domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
          <name>\(guest.domainName)</name>
          <memory unit='MiB'>\(memoryMiB)</memory>
          <vcpu>1</vcpu>
          <os>
            <type arch='x86_64' machine='pc'>hvm</type>
            <kernel>\(image.kernelPath)</kernel>
            <initrd>\(image.initramfsPath)</initrd>
            <cmdline>console=ttyS0 quiet</cmdline>
          </os>
          <on_poweroff>destroy</on_poweroff>
          <on_reboot>destroy</on_reboot>
          <on_crash>destroy</on_crash>
          <devices>
            <emulator>\(Self.emulator)</emulator>
            <disk type='file' device='disk'>
              <driver name='qemu' type='qcow2'/>
              <source file='\(diskPath)'/>
              <target dev='vda' bus='virtio'/>
            </disk>
            <serial type='file'><source path='\(consolePath)' append='on'/></serial>
            <memballoon model='none'/>
          </devices>
          <qemu:commandline>
            <qemu:arg value='-netdev'/>
            <qemu:arg value='\(netdev ?? "")'/>
            <qemu:arg value='-device'/>
            <qemu:arg value='virtio-net-pci,netdev=visagnet0,bus=pci.0,addr=0x10'/>
          </qemu:commandline>
        </domain>
        """
    }

    /// Makes the worker as `visag run --uri qemu:///system` expects it: a fresh disk, defined, booted, answering
    /// over SSH, then the clean snapshot taken while it runs (so a revert brings back a ready guest). On failure
    /// whatever was made is removed.
    public func create(in connection: LibvirtConnection, channel: QEMUGuestChannel,
                       bootTimeoutSeconds: Double) throws -> LibvirtDomain {
        guard netdev != nil else {
            throw QEMUGuestError.image("\(guest): no loopback address for node \(guest.node), ordinal \(guest.ordinal)")
        }
        try? FileManager.default.removeItem(atPath: diskPath)
        let made = try HostCommand.run(Self.qemuImg, ["create", "-q", "-f", "qcow2", diskPath, Self.diskSize],
                                       timeoutSeconds: Self.commandTimeoutSeconds)
        guard made.succeeded else { throw QEMUGuestError.command("qemu-img create \(diskPath): \(made.stderrTail)") }
        let domain = try connection.defineDomain(xml: xml)
        do {
            try domain.start()
            try channel.waitUntilReady(guest, timeoutSeconds: bootTimeoutSeconds)
            try domain.createSnapshot(name: WorkerNaming.cleanSnapshot, description: "clean, running visag worker")
            return domain
        } catch {
            try? remove(domain)
            throw error
        }
    }

    /// Powers the worker off, removes its definition with its snapshot metadata, and deletes its disk.
    public func remove(_ domain: LibvirtDomain) throws {
        if try domain.state() != .shutoff { try domain.destroy() }
        try domain.undefine()
        try? FileManager.default.removeItem(atPath: diskPath)
    }
}
