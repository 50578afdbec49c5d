/// How the report names, units and ranks each metric of `SweepResults`.
struct MetricInfo {
    enum Better { case lower, higher, neither }

    var name: String
    var label: String
    var unit: String
    var better: Better

    /// Metrics the policy table shows first when they differ between cells.
    static let keyMetrics = [
        "creation_prepared_mean_s", "creation_ready_p50_s", "queue_wait_mean_s", "mean_response_s", "vm_hours",
        "vm_utilisation", "applications_failed", "invariant_violations", "discovery_messages_per_app",
        "misdirected_launches",
    ]

    static func of(_ name: String) -> MetricInfo {
        if let known = table[name] { return known }
        return MetricInfo(name: name, label: name.replacingOccurrences(of: "_", with: " "), unit: "", better: .neither)
    }

    private static let table: [String: MetricInfo] = {
        let rows: [(String, String, String, Better)] = [
            ("applications_completed", "applications completed", "applications", .higher),
            ("applications_failed", "applications failed", "applications", .lower),
            ("creation_ready_p50_s", "object creation, VM ready (p50)", "s", .lower),
            ("creation_ready_p95_s", "object creation, VM ready (p95)", "s", .lower),
            ("creation_prepared_mean_s", "object creation, VM prepared (mean)", "s", .lower),
            ("creation_prepared_p50_s", "object creation, VM prepared (p50)", "s", .lower),
            ("creation_prepared_p95_s", "object creation, VM prepared (p95)", "s", .lower),
            ("creation_prepared_p99_s", "object creation, VM prepared (p99)", "s", .lower),
            ("prepare_revert_mean_s", "preparation: revert (mean)", "s", .lower),
            ("prepare_resume_mean_s", "preparation: resume (mean)", "s", .lower),
            ("prepare_boot_mean_s", "preparation: boot (mean)", "s", .lower),
            ("prepare_address_mean_s", "preparation: address (mean)", "s", .lower),
            ("prepare_key_write_mean_s", "preparation: key write (mean)", "s", .lower),
            ("queue_wait_mean_s", "queue wait (mean)", "s", .lower),
            ("queue_wait_p95_s", "queue wait (p95)", "s", .lower),
            ("core_wait_mean_s", "wait for a core (mean)", "s", .lower),
            ("mean_response_s", "response time (mean)", "s", .lower),
            ("clones_finished", "clones finished", "clones", .neither),
            ("clones_failed", "clones failed", "clones", .lower),
            ("vm_utilisation", "VM utilisation", "fraction of VM time reserved", .higher),
            ("vm_hours", "VM-hours", "VM·h", .lower),
            ("discovery_messages_per_app", "discovery messages", "per application", .lower),
            ("key_writes_per_app", "key writes", "per application", .neither),
            ("messages", "service messages", "messages", .neither),
            ("misdirected_launches", "misdirected launches", "launches", .lower),
            ("memory_refusals", "power-ons refused for memory", "power-ons", .lower),
            ("makespan_s", "makespan", "s", .neither),
            ("events", "simulated events", "events", .neither),
            ("invariant_violations", "invariant violations", "violations per run", .lower),
        ]
        var table: [String: MetricInfo] = [:]
        for (name, label, unit, better) in rows { table[name] = MetricInfo(name: name, label: label, unit: unit, better: better) }
        return table
    }()
}
