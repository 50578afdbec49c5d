import Foundation
import Sim

/// The files of `--out DIR` (matrix.csv, matrix.json, matrix.md and matrix.svg, written into a new
/// folder that replaces DIR as a whole, `OutputFolder`) and the single-file exports
/// (`--export-json`, `--export-csv`, `--export-markdown`).
public enum MatrixOutputs {
    public static let fileNames = ["matrix.csv", "matrix.json", "matrix.md", "matrix.svg"]
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
            try folder.write(MatrixMarkdown.text(result), named: "matrix.md")
            try folder.write(MatrixPlot.svg(result), named: "matrix.svg")
            try folder.commit()
        } catch {
            throw MatrixBenchError.failed(error.description)
        }
    }

    public static func json(_ result: MatrixBenchmarkResult) throws -> String { try MatrixJSON.text(result) }

    /// One export file, opened before the benchmark runs (so a path that cannot be written fails at
    /// once) and written when it ends; on failure nothing is left behind.
    public final class Export {
        public enum Format: Sendable { case json, csv, markdown }

        let format: Format
        let file: OutputFile

        public init(_ format: Format, path: String) throws {
            self.format = format
            do throws(OutputError) { file = try OutputFile(path: path, options: OutputFile.Options(createFolders: true)) } catch {
                throw error.isBadInput ? MatrixBenchError.badInput(error.description) : MatrixBenchError.failed(error.description)
            }
        }

        public func write(_ result: MatrixBenchmarkResult) throws {
            let text = switch format {
            case .json: try MatrixJSON.text(result) + "\n"
            case .csv: MatrixCSV.text(result)
            case .markdown: MatrixMarkdown.text(result)
            }
            file.write(text)
            do throws(OutputError) { try file.commit() } catch { throw MatrixBenchError.failed(error.description) }
        }

        public func discard() { file.discard() }
    }
}
