import Model

/// One key a scenario file may set: where it sits, what it takes, what a file without it loads with, and what it
/// means. `ScenarioKeys.all` is the one list of them: the loader accepts exactly those keys in each mapping
/// (`ScenarioKeys.children(of:)`) and `visag scenario keys` prints them, so the two cannot drift.
public struct ScenarioKey: Sendable, Equatable {
    /// The dotted path, as in a `--set` override; `[]` stands for every element of a list
    /// (`platform.nodeOverrides[].cores`).
    public let path: String
    public let type: ValueType
    /// What a scenario without the key loads with, written as the value would be (`120`, `never`,
    /// `{uniform: [1, 2]}`), or in words where it depends on other keys or the key is required.
    public let defaultValue: String
    /// The unit of a number (`s` for durations and latencies); empty when the value has none.
    public let unit: String
    /// One line of meaning.
    public let meaning: String

    public init(_ path: String, _ type: ValueType, _ defaultValue: String, _ unit: String = "", _ meaning: String) {
        self.path = path
        self.type = type
        self.defaultValue = defaultValue
        self.unit = unit
        self.meaning = meaning
    }

    /// What a key holds.
    public enum ValueType: Sendable, Equatable {
        /// A mapping of the keys listed under it.
        case section
        /// A sequence of mappings, whose keys are listed under `path[]`.
        case list
        /// One of the names given, or a mapping of the keys listed under it (`fidelity`).
        case choiceOrSection([String])
        /// A number of seconds or a number with a unit (`250ms`, `30s`, `5m`, `2h`, `1d`).
        case duration
        /// A duration, or `never` (or null) for none.
        case durationOrNever
        /// A whole number.
        case integer
        /// A number, whole or not.
        case number
        /// A probability, from 0 to 1.
        case fraction
        case bool
        /// One of the names given.
        case choice([String])
        /// A fixed value or `{uniform: [low, high]}`, `{exponential: mean}`, `{lognormal: {median:, sigma:}}`,
        /// `{empirical: [...]}`.
        case distribution
        /// A node index or `random`.
        case nodeOrRandom
        case text
        /// A path, relative to the scenario's folder.
        case file
        /// A path or a list of paths, relative to the file naming them.
        case files
        /// A list of message kinds (`MessageKind.names`).
        case messageKinds

        /// The type as `visag scenario keys` prints it.
        public var name: String {
            switch self {
            case .section: "section"
            case .list: "list"
            case .choiceOrSection(let names): names.joined(separator: "|") + "|section"
            case .duration: "duration"
            case .durationOrNever: "duration|never"
            case .integer: "integer"
            case .number: "number"
            case .fraction: "fraction"
            case .bool: "bool"
            case .choice(let names): names.joined(separator: "|")
            case .distribution: "distribution"
            case .nodeOrRandom: "node|random"
            case .text: "text"
            case .file: "file"
            case .files: "file|list"
            case .messageKinds: "list of kinds"
            }
        }

        /// The names a choice (or a list of message kinds) takes, empty for every other type.
        public var values: [String] {
            switch self {
            case .choice(let names), .choiceOrSection(let names): names
            case .messageKinds: MessageKind.names
            case .section, .list, .duration, .durationOrNever, .integer, .number, .fraction, .bool, .distribution,
                 .nodeOrRandom, .text, .file, .files: []
            }
        }

        /// Whether the key holds other keys (`visag scenario keys` lists those under it).
        public var holdsKeys: Bool {
            switch self {
            case .section, .list, .choiceOrSection: true
            case .duration, .durationOrNever, .integer, .number, .fraction, .bool, .choice, .distribution,
                 .nodeOrRandom, .text, .file, .files, .messageKinds: false
            }
        }
    }

    /// The mapping the key sits in: `hypervisor` for `hypervisor.revert`, `platform.nodeOverrides[]` for
    /// `platform.nodeOverrides[].cores`, empty at the top.
    public var section: String {
        guard let dot = path.lastIndex(of: ".") else { return "" }
        return String(path[..<dot])
    }

    /// The key's own name, as written in its mapping.
    public var name: String {
        guard let dot = path.lastIndex(of: ".") else { return path }
        return String(path[path.index(after: dot)...])
    }

    /// The mapping of the keys under this one: `platform.nodeOverrides[]` for the list `platform.nodeOverrides`.
    var innerSection: String { type == .list ? path + "[]" : path }
}

extension ScenarioKey.ValueType {
    /// The raw names of a `CaseIterable` enum the loader reads with `choice`.
    static func choice<E: RawRepresentable & CaseIterable>(of type: E.Type) -> Self where E.RawValue == String {
        .choice(E.allCases.map(\.rawValue))
    }
}
