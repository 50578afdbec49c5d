import CGSL
#if canImport(Glibc)
import Glibc
#endif

/// Which BLAS the process really calls, asked of the dynamic linker rather than assumed.
///
/// `gsl_blas_dgemm` lives in libgsl, which leaves `cblas_dgemm` undefined and names GSL's
/// reference CBLAS (libgslcblas) as a dependency. The symbol binds to the first library in the
/// global lookup scope that defines it; the module map links openblas right after gsl, so
/// OpenBLAS comes before libgslcblas in that scope. `dlsym(RTLD_DEFAULT, …)` searches the same
/// scope in the same order, and `dladdr` names the file the address belongs to.
public struct BLASLibrary: Sendable, Equatable {
    /// The shared object `cblas_dgemm` resolves to.
    public let cblasDgemmPath: String
    /// Whether that same object exports OpenBLAS's own entry points.
    public let isOpenBLAS: Bool
    /// `openblas_get_config()`, e.g. "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY SkylakeX MAX_THREADS=64".
    public let config: String
    /// `openblas_get_corename()`: the kernel OpenBLAS chose at load time, e.g. "SkylakeX".
    public let coreName: String

    /// The library as bound in this process.
    public static func inspect() -> BLASLibrary {
        let bound = dlsym(nil, "cblas_dgemm")
        // The address Swift itself calls through (the executable's own binding) must agree.
        let direct = unsafeBitCast(cblas_dgemm as @convention(c) (CBLAS_ORDER_t, CBLAS_TRANSPOSE_t, CBLAS_TRANSPOSE_t, Int32, Int32, Int32, Double, UnsafePointer<Double>?, Int32, UnsafePointer<Double>?, Int32, Double, UnsafeMutablePointer<Double>?, Int32) -> Void, to: UnsafeRawPointer.self)
        let path = libraryPath(of: bound.map { UnsafeRawPointer($0) } ?? direct) ?? "unknown"
        let directPath = libraryPath(of: direct) ?? "unknown"
        let resolvedPath = path == directPath ? path : "\(path) (Swift binds \(directPath))"
        let configFunction = symbol("openblas_get_config", as: (@convention(c) () -> UnsafePointer<CChar>?).self)
        let coreFunction = symbol("openblas_get_corename", as: (@convention(c) () -> UnsafePointer<CChar>?).self)
        var isOpenBLAS = false
        if let handle = dlopen(path, RTLD_LAZY | RTLD_NOLOAD) {
            isOpenBLAS = dlsym(handle, "openblas_get_config") != nil && path == directPath
            dlclose(handle)
        }
        return BLASLibrary(
            cblasDgemmPath: resolvedPath, isOpenBLAS: isOpenBLAS,
            config: configFunction.flatMap { $0() }.map { String(cString: $0) } ?? "not OpenBLAS",
            coreName: coreFunction.flatMap { $0() }.map { String(cString: $0) } ?? "unknown")
    }

    /// One line: "OpenBLAS 0.3.21 … (cblas_dgemm from /usr/lib/…/libopenblas.so.0)".
    public var summary: String {
        (isOpenBLAS ? config : "NOT OpenBLAS: \(config)") + " (cblas_dgemm from \(cblasDgemmPath))"
    }

    /// Sets OpenBLAS's thread count (no effect on another BLAS). Workers compute on one thread
    /// each; the coordinator too, so that idle OpenBLAS threads never compete with workers.
    public static func setThreadCount(_ count: Int) {
        symbol("openblas_set_num_threads", as: (@convention(c) (Int32) -> Void).self)?(Int32(count))
    }

    private static func symbol<T>(_ name: String, as type: T.Type) -> T? {
        guard let address = dlsym(nil, name) else { return nil }
        return unsafeBitCast(address, to: type)
    }

    /// `dladdr`'s file name for `address`. Glibc's Swift module leaves out this GNU extension,
    /// so it is looked up like the OpenBLAS entry points; `Dl_info` starts with `dli_fname`.
    private static func libraryPath(of address: UnsafeRawPointer) -> String? {
        typealias Dladdr = @convention(c) (UnsafeRawPointer?, UnsafeMutableRawPointer?) -> Int32
        guard let dladdr = symbol("dladdr", as: Dladdr.self) else { return nil }
        // Dl_info: dli_fname, dli_fbase, dli_sname, dli_saddr.
        var info: (UnsafePointer<CChar>?, UnsafeRawPointer?, UnsafePointer<CChar>?, UnsafeRawPointer?) = (nil, nil, nil, nil)
        let found = withUnsafeMutableBytes(of: &info) { dladdr(address, $0.baseAddress) }
        guard found != 0, let name = info.0 else { return nil }
        let path = String(cString: name)
        // Resolve Debian's alternatives links so the report names the real file.
        guard let real = realpath(path, nil) else { return path }
        defer { free(real) }
        return String(cString: real)
    }
}
