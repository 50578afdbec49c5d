import CGSL
#if canImport(Glibc)
import Glibc
#endif

/// A row-major matrix of doubles in 64-byte-aligned memory, multiplied through GSL
/// (`gsl_blas_dgemm`, which calls the bound `cblas_dgemm`).
///
/// The memory is allocated here rather than by `gsl_matrix_alloc` so that running out of memory
/// is an error the benchmark reports, not GSL's default handler aborting the process; GSL sees
/// the buffer through a `gsl_matrix_view`.
///
/// `@unchecked Sendable`: the coordinator shares A and B read-only between its sender threads and
/// lets each receiver thread write a disjoint block of rows of C; nothing resizes a matrix while
/// threads use it.
final class DenseMatrix: @unchecked Sendable {
    private(set) var rows: Int
    let columns: Int
    private(set) var storage: UnsafeMutablePointer<Double>
    private var capacityRows: Int

    init(rows: Int, columns: Int) throws {
        precondition(rows >= 0 && columns >= 0)
        self.rows = rows
        self.columns = columns
        capacityRows = rows
        storage = try Self.allocate(count: rows * columns)
    }

    deinit { free(storage) }

    private static func allocate(count: Int) throws -> UnsafeMutablePointer<Double> {
        var raw: UnsafeMutableRawPointer?
        let bytes = max(count, 1) * MemoryLayout<Double>.size
        guard posix_memalign(&raw, 64, bytes) == 0, let raw else {
            throw MatrixBenchError.failed("cannot allocate \(bytes / 1_048_576) MiB for a matrix")
        }
        return raw.bindMemory(to: Double.self, capacity: max(count, 1))
    }

    /// Changes the row count, keeping the allocation when it is large enough (a worker receives
    /// blocks of varying height).
    func resize(rows newRows: Int) throws {
        if newRows > capacityRows {
            let fresh = try Self.allocate(count: newRows * columns)
            free(storage)
            storage = fresh
            capacityRows = newRows
        }
        rows = newRows
    }

    var count: Int { rows * columns }

    /// Pointer to the first element of `row`.
    func row(_ row: Int) -> UnsafeMutablePointer<Double> { storage + row * columns }

    subscript(row: Int, column: Int) -> Double {
        get { storage[row * columns + column] }
        set { storage[row * columns + column] = newValue }
    }

    /// Uniform values in [-1, 1) from a SplitMix64 stream: the same seed gives the same matrix.
    func fillRandom(seed: UInt64) {
        var state = seed
        for index in 0..<count {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            z ^= z >> 31
            storage[index] = Double(z >> 11) * 0x1p-52 - 1
        }
    }

    /// Largest |self − other| over all elements (shapes must match).
    func maxAbsDifference(_ other: DenseMatrix) -> Double {
        precondition(rows == other.rows && columns == other.columns)
        var worst = 0.0
        for index in 0..<count {
            let difference = abs(storage[index] - other.storage[index])
            if difference > worst || difference.isNaN { worst = difference.isNaN ? .infinity : difference }
        }
        return worst
    }

    /// self = a × b through `gsl_blas_dgemm`.
    func setProduct(_ a: DenseMatrix, _ b: DenseMatrix) throws {
        guard a.columns == b.rows, rows == a.rows, columns == b.columns else {
            throw MatrixBenchError.failed("cannot multiply \(a.rows) × \(a.columns) by \(b.rows) × \(b.columns) into \(rows) × \(columns)")
        }
        // GSL refuses (through its abort-by-default handler) views with a zero dimension.
        guard rows > 0, columns > 0, a.columns > 0 else { return }
        var viewA = gsl_matrix_view_array(a.storage, a.rows, a.columns)
        var viewB = gsl_matrix_view_array(b.storage, b.rows, b.columns)
        var viewC = gsl_matrix_view_array(storage, rows, columns)
        let status = gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, &viewA.matrix, &viewB.matrix, 0.0, &viewC.matrix)
        guard status == 0 else { throw MatrixBenchError.failed("gsl_blas_dgemm failed with GSL status \(status)") }
    }
}
