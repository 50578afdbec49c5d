import Model
import Sim

/// The scenario's applications, drawn exactly as `Simulation` draws them (same stream, same order of draws), so
/// a seed gives the same applications, object counts, durations and main nodes on both backends. Times are model
/// seconds; the driver puts them on the wall clock.
struct RealWorkload {
    struct Arrival {
        var main: NodeID
        /// Compute time of each object, model seconds.
        var objectSeconds: [Double]
        /// When the next application arrives, model seconds since the start; nil after the last one.
        var nextArrivalModelSeconds: Double?
    }

    let workload: Workload
    let nodeCount: Int
    /// Used only on the loop thread (a GSL generator is not thread-safe).
    let stream: RandomStream

    init(scenario: Scenario) {
        workload = scenario.workload
        nodeCount = scenario.grid.nodes.count
        stream = RandomStream(seed: scenario.seed, stream: .workload)
    }

    /// When the first application arrives, model seconds; nil if there is none.
    func firstArrivalModelSeconds() -> Double? {
        switch workload {
        case .poisson(let w):
            return w.applications > 0 ? interarrival(w) : nil
        case .trace(let jobs, _):
            return jobs.first?.arrivalSeconds
        }
    }

    /// Application `index` arrives at `nowModelSeconds`.
    func arrive(_ index: Int, nowModelSeconds: Double) -> Arrival {
        let choice: MainNodeChoice
        var seconds: [Double] = []
        var next: Double?
        switch workload {
        case .poisson(let w):
            choice = w.mainNode
            let count = max(1, Int(w.objectsPerApplication.sample(stream).rounded()))
            for _ in 0..<count { seconds.append(w.objectSeconds.sample(stream)) }
            if index + 1 < w.applications { next = nowModelSeconds + interarrival(w) }
        case .trace(let jobs, let mainNode):
            choice = mainNode
            let job = jobs[index]
            seconds = Array(repeating: job.computeSeconds, count: max(1, job.objects))
            if index + 1 < jobs.count { next = max(nowModelSeconds, jobs[index + 1].arrivalSeconds) }
        }
        let main: NodeID
        switch choice {
        case .random: main = NodeID(stream.uniformInt(below: nodeCount))
        case .node(let n): main = NodeID(n)
        }
        return Arrival(main: main, objectSeconds: seconds, nextArrivalModelSeconds: next)
    }

    private func interarrival(_ w: PoissonWorkload) -> Double {
        Distribution.exponential(mean: 1 / w.arrivalsPerSecond).sample(stream)
    }
}
