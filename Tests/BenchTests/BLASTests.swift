@testable import Bench
import XCTest

final class BLASTests: XCTestCase {
    func testGSLsDgemmIsBoundToOpenBLAS() {
        let blas = BLASLibrary.inspect()
        XCTAssertTrue(blas.isOpenBLAS, blas.summary)
        XCTAssertTrue(blas.cblasDgemmPath.lowercased().contains("openblas"), blas.cblasDgemmPath)
        XCTAssertFalse(blas.cblasDgemmPath.contains("gslcblas"), blas.cblasDgemmPath)
        XCTAssertTrue(blas.config.hasPrefix("OpenBLAS"), blas.config)
        XCTAssertFalse(blas.coreName.isEmpty)
    }

    func testTheProductThroughGSLIsRight() throws {
        let a = try DenseMatrix(rows: 2, columns: 3)
        let b = try DenseMatrix(rows: 3, columns: 2)
        for (index, value) in [1.0, 2, 3, 4, 5, 6].enumerated() { a.storage[index] = value }
        for (index, value) in [7.0, 8, 9, 10, 11, 12].enumerated() { b.storage[index] = value }
        let c = try DenseMatrix(rows: 2, columns: 2)
        try c.setProduct(a, b)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: c.storage, count: 4)), [58, 64, 139, 154])
        XCTAssertThrowsError(try c.setProduct(b, b))
    }

    func testKernelChoice() {
        let avx512 = CPUFeatures.parse(cpuinfo: "processor : 0\nflags\t\t: fpu sse2 avx2 fma avx512f avx512dq avx512cd avx512bw avx512vl\n")
        let avx2 = CPUFeatures.parse(cpuinfo: "flags : sse2 avx avx2 fma\n")
        let old = CPUFeatures.parse(cpuinfo: "flags : sse2 sse3\n")
        XCTAssertTrue(avx512.hasAVX512)
        XCTAssertFalse(avx2.hasAVX512)
        // The misdetection the benchmark fixes: an AVX-512 CPU on OpenBLAS's generic kernel.
        XCTAssertEqual(KernelSelection.decide(features: avx512, environment: [:], loadedCore: "Prescott"), .reexec(coreType: "SkylakeX"))
        XCTAssertEqual(KernelSelection.decide(features: avx2, environment: [:], loadedCore: "Prescott"), .reexec(coreType: "Haswell"))
        guard case .keep = KernelSelection.decide(features: avx512, environment: [:], loadedCore: "Cooperlake") else {
            return XCTFail("a detected AVX-512 kernel must be kept")
        }
        guard case .keep = KernelSelection.decide(features: old, environment: [:], loadedCore: "Prescott") else {
            return XCTFail("no better kernel for an SSE-only CPU")
        }
        // Whatever the user (or an earlier re-execution) set wins: no loop, no override.
        guard case .keep(let note) = KernelSelection.decide(features: avx512, environment: ["OPENBLAS_CORETYPE": "Haswell"],
                                                            loadedCore: "Haswell") else { return XCTFail() }
        XCTAssertTrue(note.contains("from the environment"), note)
        guard case .keep(let reexecuted) = KernelSelection.decide(
            features: avx512, environment: ["OPENBLAS_CORETYPE": "SkylakeX", KernelSelection.markerVariable: "Prescott"],
            loadedCore: "SkylakeX") else { return XCTFail() }
        XCTAssertTrue(reexecuted.contains("picked Prescott"), reexecuted)
    }

    func testSingleThreadRateIsMeasured() throws {
        BLASLibrary.setThreadCount(1)
        XCTAssertGreaterThan(try DgemmRate.measure(size: 64), 0.1)
    }
}
