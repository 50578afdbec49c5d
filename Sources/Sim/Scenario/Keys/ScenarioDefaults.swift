import Model

/// What a scenario that leaves a key out loads with. Where Model or `Scenario` holds the default (an
/// initialiser's default argument), it is read from there; the loader's own defaults live here, read by the
/// loader and by `ScenarioKeys` alike.
enum ScenarioDefaults {
    static let seed: UInt64 = 1
    static let nodes = 2
    static let topology: ScenarioLoader.Topology = .full
    /// A node's cores for objects; 0: as many as it runs objects.
    static let cores: Int32 = 0
    /// RAM a node gives running workers, in MB; 0: unlimited.
    static let memoryMB: Int32 = 0
    /// RAM one running worker takes, in MB; 0: memory not modelled.
    static let vmMemoryMB: Int32 = 0
    /// Links per node of a `random` topology.
    static let degree = 3
    /// The central broker's node.
    static let broker = 0
    static let placement: ScenarioLoader.PlacementKind = .discovery
    static let workloadKind: ScenarioLoader.WorkloadKind = .poisson
    /// The Poisson workload of a scenario without `workload` (and each field's default with one).
    static let workload = PoissonWorkload(applications: 10, arrivalsPerSecond: 0.01, objectSeconds: .fixed(60))
    /// What each object asks for: 64 MB, which the nodes' default advertised memory matches.
    static let objectResources = Resources(memoryMB: 64)
    /// Every Model default of the grid (its nodes come from `platform`).
    static let grid = GridConfig(nodes: [])
    static let node = NodeConfig()
    static let discovery = DiscoveryPolicy()
}

/// Defaults written as `visag scenario keys` prints them: as a scenario would write the value.
enum KeyDefault {
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    static func number<T: BinaryInteger>(_ value: T) -> String { String(value) }

    /// nil: `never`.
    static func seconds(_ value: Double?) -> String { value.map(number) ?? "never" }

    /// 0 (the simulator's "no limit"): `unlimited`.
    static func limit<T: BinaryInteger>(_ value: T) -> String { value == 0 ? "unlimited" : String(value) }

    static func bool(_ value: Bool) -> String { value ? "true" : "false" }

    static func distribution(_ value: Distribution) -> String {
        switch value {
        case .fixed(let v): number(v)
        case .uniform(let low, let high): "{uniform: [\(number(low)), \(number(high))]}"
        case .exponential(let mean): "{exponential: \(number(mean))}"
        case .lognormal(let median, let sigma): "{lognormal: {median: \(number(median)), sigma: \(number(sigma))}}"
        case .empirical(let values): "{empirical: [\(values.map(number).joined(separator: ", "))]}"
        }
    }

    /// `numClone` as written: 0 off, n, or -1.
    static func numClone(_ value: StartupCloning) -> String {
        switch value {
        case .off: "0"
        case .count(let n): String(n)
        case .keepAheadPlusOne: "-1"
        }
    }

    static func fidelity(_ value: Fidelity) -> String {
        value == .fixed ? "fixed" : value == .faithful ? "faithful" : value.enabled.map(\.rawValue).joined(separator: ",")
    }

    static func placement(_ value: PlacementPolicy) -> String {
        switch value {
        case .discovery: ScenarioLoader.PlacementKind.discovery.rawValue
        case .central: ScenarioLoader.PlacementKind.central.rawValue
        }
    }
}
