#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Seconds on CLOCK_MONOTONIC. The coordinator and its worker processes run on one machine, so
/// their readings share an origin: a worker's compute interval can be placed on the coordinator's
/// timeline without any clock exchange.
enum MonotonicClock {
    static func nowSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }
}
