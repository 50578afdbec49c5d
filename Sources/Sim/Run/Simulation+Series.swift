import Model

/// `--sample-every` in the simulator: the run loops stop at each sampling instant once every event at it or
/// before has been handled, and `RunSeries` reads the plane and the simulated world there. Nothing is scheduled,
/// so the events, their order and the digest are those of a run without sampling.
extension Simulation {
    /// The simulated world as a series sees it: the hypervisor's power and the DHCP server's leases.
    struct SeriesView: SeriesWorld {
        let vms: [SimulatedVM]
        let dhcp: [DHCPServer]

        func power(ofVM index: Int) -> PowerState? { index < vms.count ? vms[index].power : nil }

        /// The lease the VM's area server holds for it (a guest may still believe in an address it lost).
        func lease(ofVM index: Int) -> SeriesLease {
            guard index < vms.count, let address = vms[index].leasedAddress,
                  dhcp[Int(vms[index].area)].holder(of: address) == Int32(index) else { return .none }
            return .held(address)
        }
    }

    var seriesView: SeriesView { SeriesView(vms: worldVMs, dhcp: dhcp) }

    /// Where the inner event loop stops: the next sampling instant, or `limit` without sampling.
    @inline(__always)
    func segmentEnd(limit: Double) -> Double {
        guard let series else { return limit }
        return min(series.nextSeconds, limit)
    }

    /// After the inner loop stopped at a sampling instant: takes the sample there and says whether the run goes on
    /// (an event is due no later than `limit`). Without sampling the inner loop stops only at the end.
    mutating func sampledSegmentEnd(limit: Double) -> Bool {
        guard let series, let next = engine.nextTime, next <= limit else { return false }
        // `next` is after the sampling instant: every event at it or before has been handled.
        series.record(plane: plane, world: seriesView)
        return true
    }

    /// The samples between the last event and the run's end: `stopSeconds` if events were left past it (a
    /// duration or `--until` cut the run), else the last event's time.
    func finishSeries(stopSeconds: Double) {
        guard let series else { return }
        let cut = stopSeconds.isFinite && engine.nextTime.map { $0 > stopSeconds } == true
        series.sample(through: cut ? stopSeconds : engine.now, plane: plane, world: seriesView)
    }
}
