import CSVGToPDF
import Foundation

/// A figure's standalone SVG as a one-page PDF of the same size, through librsvg and cairo (`CSVGToPDF`), which
/// visag loads on the first figure rather than at start-up.
enum FigurePDF {
    /// Why no PDF can be made here (librsvg or cairo cannot be loaded), or nil.
    static var unavailable: String? {
        visag_svg_pdf_load_error().map { String(cString: $0) }
    }

    struct RenderError: Error, CustomStringConvertible {
        var description: String
    }

    /// The PDF's bytes; `title` becomes the document's title.
    static func render(svg: String, title: String) throws(RenderError) -> [UInt8] {
        var pdf: UnsafeMutablePointer<UInt8>? = nil
        var length = 0
        var error: UnsafeMutablePointer<CChar>? = nil
        let status = svg.utf8CString.withUnsafeBufferPointer { text in
            visag_svg_to_pdf(text.baseAddress, text.count - 1, title, &pdf, &length, &error)
        }
        defer {
            free(pdf)
            free(error)
        }
        guard status == 0, let pdf else {
            throw RenderError(description: error.map { String(cString: $0) } ?? "the SVG could not be rendered")
        }
        return Array(UnsafeBufferPointer(start: pdf, count: length))
    }

    static func write(svg: String, title: String, to path: String, options: OutputFile.Options) throws {
        let bytes: [UInt8]
        do {
            bytes = try render(svg: svg, title: title)
        } catch {
            throw RenderError(description: "\(path): error: \(error.description)")
        }
        try bytes.withUnsafeBytes { try OutputFile.write($0, to: path, options: options) }
    }
}
