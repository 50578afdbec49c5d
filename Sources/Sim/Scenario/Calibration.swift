import Foundation

/// What `visag calibrate` measured, fitted, as the `hypervisor:` and `dhcp:` blocks of a scenario: one log-normal
/// per operation measured (`LognormalFit`), each field named as the scenario names it. A scenario reads the file
/// through `include:`; `visag validate --calibration` puts it over a scenario.
public struct Calibration: Sendable {
    /// The operations Model asks of a hypervisor and a guest, by their scenario field.
    public enum Field: String, CaseIterable, Sendable {
        case revert, suspend, resume, shutdown, boot, clone, addressRead, keyFetch, keyWrite, launch
        /// The address read with `policies.dhcpRenewal: renew` (`dhcp.renew`).
        case renew
        /// The address read with `policies.dhcpRenewal: reverse-ping` (`dhcp.reversePing`).
        case reversePing

        /// `hypervisor` or `dhcp`.
        public var section: String {
            switch self {
            case .renew, .reversePing: "dhcp"
            default: "hypervisor"
            }
        }

        public var path: String { "\(section).\(rawValue)" }
    }

    public struct Entry: Sendable {
        public let field: Field
        public let fit: LognormalFit
        /// The samples, seconds, in the order measured.
        public let samples: [Double]
    }

    /// In `Field.allCases` order.
    public private(set) var entries: [Entry] = []

    public init() {}

    /// Fits `samples` (seconds, each > 0) for `field`; nil when they cannot be fitted (`LognormalFit`).
    @discardableResult
    public mutating func add(_ field: Field, samples: [Double]) -> LognormalFit? {
        guard let fit = LognormalFit(samples: samples) else { return nil }
        entries.removeAll { $0.field == field }
        entries.append(Entry(field: field, fit: fit, samples: samples))
        entries.sort { Field.allCases.firstIndex(of: $0.field)! < Field.allCases.firstIndex(of: $1.field)! }
        return fit
    }

    public func fit(of field: Field) -> LognormalFit? { entries.first { $0.field == field }?.fit }

    /// The file: `header` lines as comments, then the blocks. Each value is written as Swift prints a `Double`
    /// (the shortest text that reads back to the same bits), so loading the file gives the fitted parameters
    /// exactly; each line's comment gives n, the KS statistic and the measured median.
    public func yaml(header: [String]) -> String {
        var text = header.map { "# \($0)\n" }.joined()
        for section in ["hypervisor", "dhcp"] {
            let inSection = entries.filter { $0.field.section == section }
            guard !inSection.isEmpty else { continue }
            text += "\(section):\n"
            for entry in inSection {
                let fit = entry.fit
                text += "  \(entry.field.rawValue): {lognormal: {median: \(fit.median), sigma: \(fit.sigma)}}"
                    + "   # n=\(fit.count) KS D=\(Self.short(fit.ksStatistic)) measured p50 "
                    + "\(Self.short(Summary(entry.samples).p50)) s\n"
            }
        }
        return text
    }

    static func short(_ value: Double) -> String {
        String(format: "%.4g", value)
    }
}

extension Calibration.Field {
    /// The field's distribution in `scenario`.
    public func distribution(in scenario: Scenario) -> Distribution {
        switch self {
        case .revert: scenario.hypervisor.revert
        case .suspend: scenario.hypervisor.suspend
        case .resume: scenario.hypervisor.resume
        case .shutdown: scenario.hypervisor.shutdown
        case .boot: scenario.hypervisor.boot
        case .clone: scenario.hypervisor.clone
        case .addressRead: scenario.hypervisor.addressRead
        case .keyFetch: scenario.hypervisor.keyFetch
        case .keyWrite: scenario.hypervisor.keyWrite
        case .launch: scenario.hypervisor.launch
        case .renew: scenario.dhcp.renew
        case .reversePing: scenario.dhcp.reversePing
        }
    }

    public func set(_ distribution: Distribution, in scenario: inout Scenario) {
        switch self {
        case .revert: scenario.hypervisor.revert = distribution
        case .suspend: scenario.hypervisor.suspend = distribution
        case .resume: scenario.hypervisor.resume = distribution
        case .shutdown: scenario.hypervisor.shutdown = distribution
        case .boot: scenario.hypervisor.boot = distribution
        case .clone: scenario.hypervisor.clone = distribution
        case .addressRead: scenario.hypervisor.addressRead = distribution
        case .keyFetch: scenario.hypervisor.keyFetch = distribution
        case .keyWrite: scenario.hypervisor.keyWrite = distribution
        case .launch: scenario.hypervisor.launch = distribution
        case .renew: scenario.dhcp.renew = distribution
        case .reversePing: scenario.dhcp.reversePing = distribution
        }
    }
}

extension Distribution {
    /// Every value times `factor` (> 0): wall seconds measured at one time scale as model seconds of another.
    public func scaled(by factor: Double) -> Distribution {
        switch self {
        case .fixed(let v): .fixed(v * factor)
        case .uniform(let low, let high): .uniform(low: low * factor, high: high * factor)
        case .exponential(let mean): .exponential(mean: mean * factor)
        case .lognormal(let median, let sigma): .lognormal(median: median * factor, sigma: sigma)
        case .empirical(let values): .empirical(values: values.map { $0 * factor })
        }
    }
}
