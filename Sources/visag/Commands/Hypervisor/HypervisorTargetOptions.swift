import ArgumentParser
import Real

/// Which hypervisor a command that measures real VMs talks to, and with which guests: the options `calibrate` and
/// `validate` share, and the one rule that turns them into a URI and credentials.
struct HypervisorTargetOptions: ParsableArguments {
    @Option(help: "The libvirt URI (default test:///default; qemu:///system with --guests tcg).")
    var uri: String?
    @Option(name: .customLong("hypervisor-config"),
            help: "An encrypted file (visag config encrypt) with the URI and any username and password.")
    var hypervisorConfig: String?
    @OptionGroup var secret: ConfigSecretOptions
    @Option(help: "simulated (in-process guests, the default) or tcg (real guests under QEMU/TCG on this machine; needs root).")
    var guests: String?

    func parsedGuests() throws -> RealRun.Guests {
        try RealRun.Guests.parse(guests)
    }

    /// TCG guests run on this machine's own QEMU, so they take no URI or hypervisor file; otherwise the URI and
    /// credentials come from the encrypted file if one is given, else `--uri` or the default (as `run`).
    func settings(for guests: RealRun.Guests) throws -> HypervisorSettings {
        if guests == .tcg {
            try TCGRun.checkOptions(uri: uri, hypervisorConfig: hypervisorConfig)
            return HypervisorSettings(uri: TCGGuestHost.uri)
        }
        try RealRun.checkHypervisorOptions(uri: uri, hypervisorConfig: hypervisorConfig, secret: secret)
        return try RealRun.hypervisorSettings(uri: uri, hypervisorConfig: hypervisorConfig, secret: secret)
    }
}
