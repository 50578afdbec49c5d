import Foundation
import XCTest
@testable import Sim

/// A figure's PDF comes from its standalone SVG through librsvg and cairo: a one-page PDF of the SVG's size that
/// holds the chart's text, the same bytes every time.
final class FigurePDFTests: XCTestCase {
    func chart() -> SVGLineChart {
        let points = [SVGLineChart.Point(x: 0, mean: 2, low: 1, high: 3.5, n: 5),
                      SVGLineChart.Point(x: 1, mean: 4, low: 3, high: 5, n: 5)]
        return SVGLineChart(title: "VM-hours", yLabel: "VM time (VM·h)", xLabel: "policies.recycle",
                            categories: ["revert", "shutdown"],
                            series: [.init(label: "dhcpRenewal = none", points: points),
                                     .init(label: "dhcpRenewal = renew", points: points)],
                            intervalMethod: IntervalMethod.bootstrap.rawValue)
    }

    func testAFigureBecomesAOnePagePDFOfItsSize() throws {
        if let missing = FigurePDF.unavailable {
            throw XCTSkip("librsvg or cairo missing (\(missing)): scripts/install-deps.sh installs them")
        }
        let svg = chart().standaloneSVG()
        let pdf = try FigurePDF.render(svg: svg, title: "VM-hours")
        XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-")
        XCTAssertEqual(try FigurePDF.render(svg: svg, title: "VM-hours"), pdf, "the same SVG gives the same bytes")
        let text = String(decoding: pdf, as: UTF8.self)
        // The standalone SVG is 330 wide and 230 high plus a legend row per series: one point per SVG pixel.
        XCTAssertTrue(text.contains("/MediaBox [ 0 0 330 262 ]"), "page size")
        let pageObjects = text.components(separatedBy: "/Type /Page").dropFirst().filter { !$0.hasPrefix("s") }
        XCTAssertEqual(pageObjects.count, 1, "one page")
        XCTAssertTrue(text.contains("/Count 1"), "one page")
        XCTAssertTrue(text.contains("/Title (VM-hours)"))
        XCTAssertFalse(text.contains("/CreationDate"), "no date: the file depends on its SVG alone")

        // Where poppler's pdftotext is installed (scripts/install-test-deps.sh), the chart's words are in the PDF.
        guard let pdftotext = ["/usr/bin/pdftotext", "/usr/local/bin/pdftotext"]
            .first(where: FileManager.default.isExecutableFile) else { return }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("visag-figure-\(UUID().uuidString).pdf")
        defer { try? FileManager.default.removeItem(at: file) }
        try Data(pdf).write(to: file)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: pdftotext)
        process.arguments = [file.path, "-"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let words = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        for expected in ["VM-hours", "VM time (VM·h)", "policies.recycle", "revert", "shutdown", "dhcpRenewal = renew"] {
            XCTAssertTrue(words.contains(expected), "\(expected) not in the PDF's text:\n\(words)")
        }
    }

    func testAnSVGLibrsvgCannotReadIsAnError() throws {
        if FigurePDF.unavailable != nil { throw XCTSkip("librsvg or cairo missing") }
        XCTAssertThrowsError(try FigurePDF.render(svg: "<svg", title: "broken"))
        XCTAssertThrowsError(try FigurePDF.render(svg: "<svg xmlns=\"http://www.w3.org/2000/svg\"/>", title: "no size"))
    }
}
