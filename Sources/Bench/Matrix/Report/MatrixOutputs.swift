import Foundation
import Sim

/// The files of `--out DIR`: matrix.csv, matrix.svg and matrix.json, written into a new folder that replaces
/// DIR as a whole (`OutputFolder`).
public enum MatrixOutputs {
    public static let fileNames = ["matrix.csv", "matrix.json", "matrix.svg"]
    /// The file that marks a folder as an earlier benchmark's output (which `--out` may replace).
    public static let marker = "matrix.json"

    /// Checks `--out` before the benchmark starts (and creates the folders above it).
    public static func check(_ directory: String) throws {
        do { try OutputFolder.check(path: directory, marker: marker) } catch { throw MatrixBenchError.failed(error.description) }
    }

    public static func write(_ result: MatrixBenchmarkResult, to directory: String) throws {
        let json = try MatrixJSON.text(result) + "\n"
        do throws(OutputError) {
            let folder = try OutputFolder(path: directory, marker: marker)
            try folder.write(MatrixCSV.text(result), named: "matrix.csv")
            try folder.write(json, named: "matrix.json")
            try folder.write(MatrixPlot.svg(result), named: "matrix.svg")
            try folder.commit()
        } catch {
            throw MatrixBenchError.failed(error.description)
        }
    }

    public static func json(_ result: MatrixBenchmarkResult) throws -> String { try MatrixJSON.text(result) }
}
