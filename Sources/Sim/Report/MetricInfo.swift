/// How the report names, units and ranks each metric of `SweepResults`.
struct MetricInfo {
    enum Better { case lower, higher, neither }

    var name: String
    var label: String
    var unit: String
    var better: Better
    /// One line of meaning, for the report's glossary.
    var meaning = ""
    /// How its 95 % interval is computed (set from `SweepResults.metrics`, the one table of them).
    var interval = IntervalMethod.bootstrap

    /// Metrics the policy table shows first when they differ between cells.
    static let keyMetrics = [
        "creation_prepared_mean_s", "creation_ready_p50_s", "queue_wait_mean_s", "mean_response_s", "vm_hours",
        "vm_utilisation", "applications_failed", "invariant_violations", "violated", "discovery_messages_per_app",
        "misdirected_launches",
    ]

    static func of(_ name: String) -> MetricInfo {
        if let known = table[name] { return known }
        return MetricInfo(name: name, label: name.replacingOccurrences(of: "_", with: " "), unit: "", better: .neither,
                          meaning: meanings[name] ?? "")
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
            ("violated", "runs with a violation", "share of runs", .lower),
            ("worker_keys_at_mains", "worker keys at mains", "keys", .neither),
        ]
        var table: [String: MetricInfo] = [:]
        for (name, label, unit, better) in rows {
            table[name] = MetricInfo(name: name, label: label, unit: unit, better: better, meaning: meanings[name] ?? "")
        }
        return table
    }()

    /// What each metric measures, per run (a cell's value is the mean over its seeds).
    static let meanings: [String: String] = [
        "applications_completed": "applications whose every object ran to its end",
        "applications_failed": "applications that gave up (a creation round failed for good, a crash)",
        "creation_ready_p50_s": "time to create an object whose VM was already prepared, median over the run's objects",
        "creation_ready_p95_s": "the same, 95th percentile",
        "creation_prepared_mean_s": "time to create an object whose VM had to be prepared first (revert or wake, address, keys), mean",
        "creation_prepared_p50_s": "the same, median",
        "creation_prepared_p95_s": "the same, 95th percentile",
        "creation_prepared_p99_s": "the same, 99th percentile",
        "prepare_revert_mean_s": "one revert to the clean snapshot, mean",
        "prepare_resume_mean_s": "one resume of a suspended VM, mean",
        "prepare_boot_mean_s": "one boot of a shut-down VM, mean",
        "prepare_address_mean_s": "reading (or renewing) the guest's address, mean",
        "prepare_key_write_mean_s": "one key write into the guest, mean",
        "queue_wait_mean_s": "time an application waited in the central broker's queue, mean",
        "queue_wait_p95_s": "the same, 95th percentile",
        "core_wait_mean_s": "time a started object waited for a free core, mean",
        "mean_response_s": "submission to completion of an application, mean over completed ones",
        "clones_finished": "worker VMs cloned",
        "clones_failed": "clones that failed",
        "vm_utilisation": "share of worker VM time spent reserved for an application",
        "vm_hours": "worker VM time powered on",
        "discovery_messages_per_app": "discovery requests and replies sent per application",
        "key_writes_per_app": "key writes per application",
        "messages": "service messages sent between nodes",
        "misdirected_launches": "objects launched at an address another VM now holds",
        "memory_refusals": "power-ons a node refused for lack of memory",
        "makespan_s": "first submission to last application end",
        "events": "events the simulator delivered",
        "invariant_violations": "invariant violations the checker found",
        "violated": "1 if the checker found an invariant violation in the run, else 0: a cell's mean is the share of its runs with one",
        "worker_keys_at_mains": "workers' own keys accepted by the machine running their application's main",
    ]
}
