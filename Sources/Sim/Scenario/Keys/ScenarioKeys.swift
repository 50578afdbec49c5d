import Model

/// Every key a scenario file may set, section by section, in the order the loader's messages list them. The
/// loader checks each mapping against `children(of:)`, so a key missing here is refused; `ScenarioKeysTests` sets
/// every key listed here (a key the loader never reads changes nothing and fails) and compares each printed
/// default with what a scenario without the key loads.
public enum ScenarioKeys {
    public static let all: [ScenarioKey] = top + fidelity + platform + hypervisor + dhcp + network + policies
        + jobMgr + workload + faults

    /// `include:` is resolved by `YAMLDocument` before the loader sees the document.
    static let include = "include"

    /// The names of the keys a mapping may hold: `children(of: "hypervisor")`, `children(of: "")` for the top.
    public static func children(of section: String) -> [String] {
        guard let names = childrenBySection[section] else {
            // The loader asks only for sections it decodes; one missing here refuses every key rather than trap.
            assertionFailure("no section \(section) in ScenarioKeys")
            return []
        }
        return names
    }

    /// Every mapping the table describes (the top is ""), in table order.
    public static let sections: [String] = [""] + all.filter(\.type.holdsKeys).map(\.innerSection)

    private static let childrenBySection: [String: [String]] = {
        var result: [String: [String]] = [:]
        for section in sections { result[section] = [] }
        for key in all { result[key.section, default: []].append(key.name) }
        return result
    }()

    /// The section a value at `path` is checked against: list indices become `[]` (`platform.nodeOverrides[2]`
    /// is `platform.nodeOverrides[]`).
    static func section(ofValuePath path: String) -> String {
        var result = ""
        var inIndex = false
        for character in path {
            if character == "[" {
                inIndex = true
                result += "[]"
            } else if character == "]" {
                inIndex = false
            } else if !inIndex {
                result.append(character)
            }
        }
        return result
    }

    /// The keys at or under `prefix` (`hypervisor`, `platform.nodeOverrides`, `faults.messageDrop.kinds`; indices
    /// and a trailing `[]` or `.` are ignored), in table order; empty when no key matches.
    public static func matching(prefix: String) -> [ScenarioKey] {
        var wanted = section(ofValuePath: prefix)
        while wanted.hasSuffix(".") || wanted.hasSuffix("[]") {
            wanted = String(wanted.dropLast(wanted.hasSuffix(".") ? 1 : 2))
        }
        if wanted.isEmpty { return all }
        return all.filter { $0.path == wanted || $0.path.hasPrefix(wanted + ".") || $0.path.hasPrefix(wanted + "[]") }
    }

    /// The key path closest to an unknown prefix, to suggest.
    public static func suggestion(forPrefix prefix: String) -> String? {
        let paths = all.map(\.path)
        let last = prefix.split(separator: ".").last.map(String.init) ?? prefix
        // A whole path near the prefix, or else a key whose own name is near the prefix's last part.
        return Sim.suggestion(for: prefix, among: paths)
            ?? Sim.suggestion(for: last, among: all.map(\.name)).flatMap { name in
                paths.first { $0 == name || $0.hasSuffix("." + name) }
            }
    }

    /// The command that lists a section's keys, for the loader's unknown-key message.
    static func listing(_ section: String) -> String {
        let prefix = section.hasSuffix("[]") ? String(section.dropLast(2)) : section
        return "visag scenario keys" + (prefix.isEmpty ? "" : " " + prefix)
    }

    // MARK: The top and fidelity

    static let top: [ScenarioKey] = [
        ScenarioKey("name", .text, "the file's name without .yaml", "", "the scenario's name in summaries and reports"),
        ScenarioKey("description", .text, "none", "", "free text about the scenario; the simulator does not read it"),
        ScenarioKey("seed", .integer, KeyDefault.number(ScenarioDefaults.seed), "",
                    "the seed every random stream of the run derives from"),
        ScenarioKey("duration", .durationOrNever, "never", "s",
                    "simulated time to run; never runs until every application has finished"),
        ScenarioKey("mode", .choice(of: Mode.self), ScenarioDefaults.grid.mode.rawValue, "",
                    "the POP-C++ build: standard, secure (SSH keys), virtual (worker VMs), virtual-secure (both)"),
        ScenarioKey("fidelity", .choiceOrSection(ScenarioLoader.FidelityBase.allCases.map(\.rawValue)),
                    KeyDefault.fidelity(ScenarioDefaults.grid.fidelity), "",
                    "the 2012 code's known defects: faithful (those it showed), fixed (none), or a section of switches"),
        ScenarioKey("platform", .section, "", "", "the nodes: how many, their limits, cores, memory and neighbour graph"),
        ScenarioKey("hypervisor", .section, "", "", "latencies of the simulated hypervisor operations and guest tools"),
        ScenarioKey("dhcp", .section, "", "", "the DHCP areas that give worker VMs their addresses"),
        ScenarioKey("network", .section, "", "", "service messages between nodes: latency and each node's link"),
        ScenarioKey("policies", .section, "", "", "placement, discovery, recycling, idle and wake-up choices"),
        ScenarioKey("jobMgr", .section, "", "", "the JobMgr's timeouts and how objects are created"),
        ScenarioKey("workload", .section, "", "", "where applications come from: Poisson arrivals or a trace"),
        ScenarioKey("faults", .section, "", "",
                    "seeded faults: failures, crashes, outages, lost, duplicated and delayed messages"),
        ScenarioKey(include, .files, "none", "",
                    "files merged under this one section by section (this file's keys win), relative to this file"),
    ]

    static let fidelity: [ScenarioKey] =
        [ScenarioKey("fidelity.base", .choice(of: ScenarioLoader.FidelityBase.self),
                     KeyDefault.fidelity(ScenarioDefaults.grid.fidelity), "",
                     "the switches the section starts from: faithful or fixed")]
        + Defect.allCases.map { ScenarioKey("fidelity." + $0.rawValue, .bool, "as base", "", $0.meaning) }
}

extension Defect {
    /// One line on the defect, for `visag scenario keys` (the doc comments in `Model/Core/Fidelity.swift` say more).
    var meaning: String {
        switch self {
        case .cloneAheadNeverFires:
            "runtime clone-ahead never fires (the free-VM count tests the wrong iterator)"
        case .startupCloneIgnoresMaxVM:
            "numClone -1 clones the overshoot past maxVMs instead of the room left"
        case .reservationsNeverExpire:
            "reservation expiry is commented out: unused reservations are kept forever"
        case .applicationEndWithoutMutex:
            "ApplicationEnd does not take the JobMgr mutex, so it races Reserve and Prepare VM"
        case .cloneFailureNeverCallsBack:
            "a clone failing part-way never calls back: its source VM stays held by the cloner"
        case .removeJobOverwrites:
            "SearchNode.removeJob overwrites the advertised resources with the removed job's"
        case .emptyAppIdKeyWriteDropped:
            "a key written with an empty appId goes to the first worker no application held, or nowhere"
        case .guestKeyAppendWithoutShell:
            "the guest-side key append runs without a shell: success returned, key not held (not in faithful)"
        case .requesterKeyTakeRaces:
            "the requester key is kept from discovery and erased at its take instead of travelling with Reserve"
        case .addressPollUncapped:
            "an empty address is read again without a cap"
        case .cloneSharesHostKeys:
            "a clone keeps its source's SSH host keys (simulator only)"
        }
    }
}
