import Foundation
import Model
import XCTest
@testable import Real
import Sim

/// The in-process test driver. Every connection to it in this process shares one in-memory host while any of them
/// is open (see `ConnectionTests.testDefaultURIConnectionsShareOneHostWhileOpen`), so each test uses names of its
/// own and removes what it made.
let testURI = "test:///default"
let testPool = "default-pool"

/// A name no other test (or earlier run of this one) uses.
func uniqueName(_ prefix: String) -> String {
    "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())"
}

/// A small test-driver domain. `diskPaths` become file disks vda, vdb, …; `volumeDisks` (pool, volume) become
/// volume disks after them; one user-mode interface per entry of `interfaceCount`.
func domainXML(
    name: String, diskPaths: [String] = [], volumeDisks: [(pool: String, volume: String)] = [],
    interfaceCount: Int = 1, extraDevices: String = ""
) -> String {
    var devices = ""
    var letters = Array("abcdefghij").makeIterator()
    for path in diskPaths {
        let letter = letters.next()!
        devices += "<disk type='file' device='disk'><source file='\(path)'/><target dev='vd\(letter)'/></disk>"
    }
    for disk in volumeDisks {
        let letter = letters.next()!
        devices += "<disk type='volume' device='disk'><source pool='\(disk.pool)' volume='\(disk.volume)'/>"
            + "<target dev='vd\(letter)'/></disk>"
    }
    for _ in 0..<interfaceCount {
        devices += "<interface type='user'/>"
    }
    return """
        <domain type='test'><name>\(name)</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
        <os><type>hvm</type></os><devices>\(devices)\(extraDevices)</devices></domain>
        """
}

func volumeXML(name: String, capacityMiB: Int = 8) -> String {
    "<volume><name>\(name)</name><capacity unit='MiB'>\(capacityMiB)</capacity>"
        + "<target><format type='raw'/></target></volume>"
}

/// Removes what a test made, whatever state it is in, ignoring what is already gone.
final class Cleanup {
    private let connection: LibvirtConnection
    private var domainNames: [String] = []
    private var volumeNames: [String] = []

    init(_ connection: LibvirtConnection) { self.connection = connection }

    func domain(_ name: String) { domainNames.append(name) }
    func volume(_ name: String) { volumeNames.append(name) }

    func run() {
        for name in domainNames {
            guard let domain = try? connection.lookupDomain(name: name) else { continue }
            if (try? domain.state()) != .shutoff { try? domain.destroy() }
            try? domain.undefine()
        }
        if let pool = try? connection.lookupStoragePool(name: testPool) {
            for name in volumeNames { try? pool.lookupVolume(name: name).delete() }
        }
    }
}

class LibvirtTestCase: XCTestCase {
    var connection: LibvirtConnection!
    var cleanup: Cleanup!

    override func setUpWithError() throws {
        connection = try LibvirtConnection(uri: testURI)
        cleanup = Cleanup(connection)
    }

    override func tearDown() {
        cleanup?.run()
        connection?.close()
        cleanup = nil
        connection = nil
    }

    /// Creates a volume in the test pool and registers it for cleanup.
    func makeVolume(_ name: String) throws -> LibvirtStorageVolume {
        cleanup.volume(name)
        return try connection.lookupStoragePool(name: testPool).createVolume(xml: volumeXML(name: name))
    }

    /// Defines a domain and registers it for cleanup.
    func define(_ xml: String, name: String) throws -> LibvirtDomain {
        cleanup.domain(name)
        return try connection.defineDomain(xml: xml)
    }
}

/// Runs a driver on a thread of its own, so the test can act on the run while it goes on.
enum RunningDriver {
    static func start(_ driver: RealDriver)
        -> (Thread, Locked<Result<RealRunResult, RealRunError>?>, DispatchSemaphore)
    {
        let outcome = Locked<Result<RealRunResult, RealRunError>?>(nil)
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = Result { () throws(RealRunError) -> RealRunResult in try driver.run() }
            outcome.withLock { $0 = result }
            finished.signal()
        }
        thread.start()
        return (thread, outcome, finished)
    }
}

extension LibvirtTestCase {
    func scenario(_ text: String, overrides: [String] = []) throws -> Scenario {
        try ScenarioLoader.parse(text: text, file: "test.yaml", overrides: overrides)
    }

    /// Registers every worker domain the scenario may make (`node<i>_worker<k>`) and its volume for removal.
    func registerWorkers(of scenario: Scenario) {
        for (node, config) in scenario.grid.nodes.enumerated() {
            for ordinal in 1...max(config.maxVMs, 1) {
                let name = WorkerNaming.domainName(node: NodeID(node), ordinal: ordinal)
                cleanup.domain(name)
                cleanup.volume(TestDriverWorkers.volumeName(forDomain: name))
            }
        }
    }
}
