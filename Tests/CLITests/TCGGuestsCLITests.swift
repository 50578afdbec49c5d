import Foundation
import XCTest

/// `visag run --backend real --guests tcg`: everything it refuses is refused with exit 2 and one line saying why,
/// before any daemon, image or guest is touched (the real boot is `RealTests.QEMUGuestTests`' and
/// `TCGGuestsRunTests`').
extension CLITests {
    static let tcgScenario = "Scenarios/guests/tcg-small.yaml"

    func tcg(_ extra: [String]) throws -> Result {
        try visag(["run", Self.tcgScenario, "--backend", "real", "--guests", "tcg"] + extra)
    }

    func assertRefused(_ result: Result, saying text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(result.status, 2, result.stderr, file: file, line: line)
        XCTAssertTrue(result.stderr.contains(text), "expected “\(text)” in: \(result.stderr)", file: file, line: line)
        XCTAssertEqual(result.stderr.split(whereSeparator: \.isNewline).count, 1, result.stderr, file: file, line: line)
        XCTAssertEqual(result.stdout, "", file: file, line: line)
    }

    func testTCGGuestsRefuseOtherHypervisorsAndOptions() throws {
        assertRefused(try tcg(["--uri", "test:///default"]), saying: "not test:///default")
        assertRefused(try tcg(["--uri", "qemu+ssh://host/system"]), saying: "through qemu:///system")
        assertRefused(try tcg(["--hypervisor-config", "hv.conf.enc", "--key-file", "hv.key"]),
                      saying: "--hypervisor-config is for other hypervisors")
        assertRefused(try visag(["run", Self.tcgScenario, "--guests", "tcg"]), saying: "--guests applies only to --backend real")
        assertRefused(try visag(["run", Self.tcgScenario, "--backend", "real", "--guests", "kvm"]),
                      saying: "expected simulated or tcg")
    }

    func testTCGGuestsRefuseScenariosTheGuestsCannotRun() throws {
        assertRefused(try visag(["run", "Scenarios/quickstart.yaml", "--backend", "real", "--guests", "tcg"]),
                      saying: "clones would share a forward with their source")
        assertRefused(try tcg(["--set", "policies.cloneAheadThreshold=2"]), saying: "clone-ahead is on")
        assertRefused(try tcg(["--set", "platform.maxVMs=256", "--set", "platform.initialWorkers=256"]),
                      saying: "node0_worker256 gets no loopback address")
        assertRefused(try tcg(["--set", "mode=secure"]), saying: "has no worker VMs")
        // 20,000 guests at 128 MiB each: 2.4 TiB, more than any machine this runs on has free.
        assertRefused(try tcg(["--set", "platform.nodes=20000", "--set", "platform.topology=none"]),
                      saying: "20000 worker guests: at 128 MiB each they need 2560000 MiB")
    }

    /// Run as nobody: refused for want of root, whatever else the machine has.
    func testTCGGuestsNeedRoot() throws {
        let setpriv = "/usr/bin/setpriv"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: setpriv) else {
            throw XCTSkip("needs root and \(setpriv) to run the CLI as another user")
        }
        let binary = Bundle.main.bundleURL.appendingPathComponent("visag").path
        let result = try visagAs(setpriv, ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "run",
                                           Self.tcgScenario, "--backend", "real", "--guests", "tcg"])
        assertRefused(result, saying: "--guests tcg needs root")
    }

    func testSimulatedGuestsAreTheDefaultAndMayBeNamed() throws {
        let r = try visag(["run", "Scenarios/policies/key-routing.yaml", "--backend", "real", "--guests", "simulated",
                           "--time-scale", "0.0005"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("backend      real, test:///default"), r.stdout)
    }

    /// `launcher arguments…` from the package root, as `visag` itself is run.
    private func visagAs(_ launcher: String, _ arguments: [String]) throws -> Result {
        let r = try VisagCLI.run(arguments, launcher: URL(fileURLWithPath: launcher))
        return Result(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }
}
