import Foundation

/// The files of `--out DIR`: matrix.csv, matrix.svg and matrix.json, each written atomically.
public enum MatrixOutputs {
    public static let fileNames = ["matrix.csv", "matrix.json", "matrix.svg"]

    public static func write(_ result: MatrixBenchmarkResult, to directory: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw MatrixBenchError.failed("cannot create \(directory): \(error.localizedDescription)")
        }
        try AtomicFile.write(MatrixCSV.text(result), to: directory + "/matrix.csv")
        try AtomicFile.write(try MatrixJSON.text(result) + "\n", to: directory + "/matrix.json")
        try AtomicFile.write(MatrixPlot.svg(result), to: directory + "/matrix.svg")
    }

    public static func json(_ result: MatrixBenchmarkResult) throws -> String { try MatrixJSON.text(result) }
}
