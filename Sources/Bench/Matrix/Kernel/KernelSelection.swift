import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Picks OpenBLAS's kernel for this CPU.
///
/// OpenBLAS 0.3.21 does not know recent Xeons and falls back to a generic SSE3 kernel
/// ("Prescott", ~16 GFLOP/s here instead of 70-75). It reads `OPENBLAS_CORETYPE` once, when the
/// library loads, so the choice cannot be changed inside a running process. The benchmark
/// re-executes itself (`/proc/self/exe`, same arguments) with the variable set when the CPU
/// supports a better kernel than the one loaded; the worker processes it spawns inherit the
/// environment, so the coordinator's reference product, the single-thread rate and every
/// worker use the same kernel. A value the user set is respected, and the re-execution happens
/// at most once (a marker variable records it and what OpenBLAS had picked on its own).
public enum KernelSelection {
    public static let coreTypeVariable = "OPENBLAS_CORETYPE"
    static let markerVariable = "VISAG_MATRIX_KERNEL_REEXEC"

    public enum Decision: Equatable, Sendable {
        /// Keep the loaded kernel, for the reason given.
        case keep(String)
        /// Restart with `OPENBLAS_CORETYPE` set to this core type.
        case reexec(coreType: String)
    }

    /// The OpenBLAS core type worth forcing on a CPU with these features, if any.
    public static func preferredCoreType(for features: CPUFeatures) -> String? {
        if features.hasAVX512 { return "SkylakeX" }
        if features.hasAVX2FMA { return "Haswell" }
        return nil
    }

    static let avx512Cores: Set<String> = ["skylakex", "cooperlake", "sapphirerapids"]
    static let avx2Cores: Set<String> = avx512Cores.union(["haswell", "zen"])

    public static func decide(features: CPUFeatures, environment: [String: String], loadedCore: String) -> Decision {
        if let forced = environment[coreTypeVariable], !forced.isEmpty {
            if let detected = environment[markerVariable] {
                return .keep("\(coreTypeVariable)=\(forced) set by visag: the CPU supports it, OpenBLAS alone picked \(detected)")
            }
            return .keep("\(coreTypeVariable)=\(forced) from the environment")
        }
        guard let preferred = preferredCoreType(for: features) else {
            return .keep("as detected by OpenBLAS (no AVX2/AVX-512 kernel applies to this CPU)")
        }
        let good = preferred == "SkylakeX" ? avx512Cores : avx2Cores
        if good.contains(loadedCore.lowercased()) { return .keep("as detected by OpenBLAS") }
        return .reexec(coreType: preferred)
    }

    /// Re-executes the process with the right kernel when that helps; returns only if it does not
    /// (or if exec failed), with the note to print beside the kernel name.
    public static func reexecIfNeeded(arguments: [String] = CommandLine.arguments) -> String {
        let loaded = BLASLibrary.inspect()
        let environment = ProcessInfo.processInfo.environment
        switch decide(features: .current(), environment: environment, loadedCore: loaded.coreName) {
        case .keep(let note):
            return note
        case .reexec(let coreType):
            setenv(coreTypeVariable, coreType, 1)
            setenv(markerVariable, loaded.coreName, 1)
            let argv = arguments.map { strdup($0) } + [nil]
            execv("/proc/self/exe", argv)
            // Still here: exec failed. Undo, and run on the loaded kernel.
            let reason = String(cString: strerror(errno))
            argv.forEach { free($0) }
            unsetenv(coreTypeVariable)
            unsetenv(markerVariable)
            return "as detected by OpenBLAS (re-executing with \(coreTypeVariable)=\(coreType) failed: \(reason))"
        }
    }
}
