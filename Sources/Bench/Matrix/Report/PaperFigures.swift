/// The report's published matrix-multiplication times (2011, three ESXi hosts, seconds).
///
/// The table's last column is headed "10" but the experiment ran 1, 3, 6 and 9 workers (three
/// hosts, three objects each); the benchmark compares it with 9 workers.
enum PaperFigures {
    enum Row: String, Sendable {
        case standard
        case virtualSecure = "virtual-secure"
    }

    static let workerCounts = [1, 3, 6, 9]

    static let seconds: [Row: [Int: [Double]]] = [
        .standard: [
            600: [5.177, 2.138, 2.386, 2.729],
            900: [16.492, 6.157, 6.552, 7.584],
            1200: [38.551, 13.994, 14.595, 16.756],
        ],
        .virtualSecure: [
            600: [4.839, 1.880, 1.990, 2.146],
            900: [16.227, 5.992, 6.244, 6.924],
            1200: [38.380, 13.799, 14.355, 16.084],
        ],
    ]

    /// The 2011 time for this cell, if the report has one.
    static func seconds(row: Row, size: Int, workers: Int) -> Double? {
        guard let column = workerCounts.firstIndex(of: workers) else { return nil }
        return seconds[row]?[size]?[column]
    }
}
