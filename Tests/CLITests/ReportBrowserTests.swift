import Foundation
import XCTest

/// Opens the sweep report in headless Chromium: it must render with no console error, no
/// uncaught exception, no CSP violation and no network request; a negative test proves the
/// checker sees each of those. Skipped without Chromium unless VISAG_REQUIRE_CHROMIUM=1.
final class ReportBrowserTests: XCTestCase {
    func browser() throws -> String {
        if let found = HeadlessChromium.executable() { return found }
        if ProcessInfo.processInfo.environment["VISAG_REQUIRE_CHROMIUM"] == "1" {
            throw HeadlessChromium.Failure(
                description: "VISAG_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install --no-install-recommends chromium)")
        }
        throw XCTSkip("chromium is not installed: the report is not checked in a browser (set VISAG_REQUIRE_CHROMIUM=1 to fail instead)")
    }

    func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("visag-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A sweep whose scenario name and axis values carry markup: the report must show them as text.
    func writeSweep(in directory: URL) throws -> String {
        let sweep = """
        base: \(CLITests.packageRoot.path)/Scenarios/policies/recycle.yaml
        set: ["workload.applications=30", "name=<script>console.error('injected')</script> & <b>co</b>"]
        axes:
          policies.recycle: [revert, shutdown]
          policies.dhcpRenewal: [none, renew]
        seeds: 1..3
        timeline: {cell: 1, seed: 2, vms: 8, window: 3h}
        """
        let path = directory.appendingPathComponent("sweep.yaml")
        try sweep.write(to: path, atomically: true, encoding: .utf8)
        return path.path
    }

    func testReportRendersWithoutErrorsInChromium() throws {
        let executable = try browser()
        let dir = try temporaryDirectory()
        let out = dir.appendingPathComponent("out")
        let r = try VisagCLI.run(["sweep", try writeSweep(in: dir), "--out", out.path, "--jobs", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let report = out.appendingPathComponent("report.html")
        let html = try String(contentsOf: report, encoding: .utf8)
        XCTAssertFalse(html.contains("<script"), "markup from the scenario name reached the page")
        XCTAssertTrue(html.contains("&lt;script&gt;console.error(&#39;injected&#39;)&lt;/script&gt; &amp; &lt;b&gt;co&lt;/b&gt;"))
        // The SVG namespace is a name, not a fetch; nothing else may point at the network.
        let addresses = html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "")
        XCTAssertFalse(addresses.contains("http://") || addresses.contains("https://") || addresses.contains("src="),
                       "the report must not reference the network")
        XCTAssertTrue(html.contains("Cell 1 (recycle = revert, dhcpRenewal = renew), seed 2"))
        XCTAssertTrue(html.contains("<h2>Glossary of metrics</h2>"))
        XCTAssertTrue(html.contains("<code>queue_wait_mean_s</code>"))
        // Both axes are policies: their points are grouped, never joined, and no metric's axis goes below 0.
        XCTAssertTrue(html.contains("class=\"ytick\""))
        XCTAssertFalse(html.contains("<polyline"), "a categorical axis drawn as a joined line")
        XCTAssertTrue(html.contains("<h3>Grid totals</h3>") && html.contains("class=\"step\""), "the timeline run's step chart")
        let ticks = html.components(separatedBy: "class=\"ytick\">").dropFirst().map { $0.prefix { $0 != "<" } }
        XCTAssertFalse(ticks.contains { $0.hasPrefix("-") || $0.hasPrefix("−") }, "a negative axis: \(ticks)")

        let screenshot = dir.appendingPathComponent("report.png")
        let chromium = try HeadlessChromium(executable: executable)
        let problems = try chromium.problems(loading: report, screenshot: screenshot, check: Self.chartCheck)
        XCTAssertEqual(problems, [], "report.html in Chromium:\n" + problems.joined(separator: "\n"))
        let png = try Data(contentsOf: screenshot)
        XCTAssertEqual(Array(png.prefix(8)), [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "not a PNG")
        XCTAssertGreaterThan(png.count, 50_000, "the screenshot is nearly empty")
        // Each chart is a file of its own (SVG with its styles inside, and its numbers as CSV) that renders alone.
        let figures = out.appendingPathComponent("figures")
        let names = try FileManager.default.contentsOfDirectory(atPath: figures.path).sorted()
        let svgs = names.filter { $0.hasSuffix(".svg") }
        XCTAssertFalse(svgs.isEmpty)
        XCTAssertEqual(Set(svgs.map { $0.dropLast(4) }), Set(names.filter { $0.hasSuffix(".csv") }.map { $0.dropLast(4) }))
        XCTAssertEqual(svgs.count, html.components(separatedBy: "<figcaption>").count - 1)
        let figure = try XCTUnwrap(svgs.first { $0.hasPrefix("vm_hours-vs-policies.recycle") } ?? svgs.first)
        let svg = try String(contentsOf: figures.appendingPathComponent(figure), encoding: .utf8)
        XCTAssertTrue(svg.hasPrefix("<?xml") && svg.contains("<style>") && svg.hasSuffix("</svg>\n"), String(svg.prefix(300)))
        let csv = try String(contentsOf: figures.appendingPathComponent(String(figure.dropLast(4)) + ".csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("series,policies.recycle,n,mean,ci95_low,ci95_high,ci_method\n")
            || csv.hasPrefix("series,policies.dhcpRenewal,n,mean,ci95_low,ci95_high,ci_method\n"), csv)
        if figure.hasPrefix("vm_hours-") { XCTAssertTrue(csv.hasSuffix(",bootstrap-percentile\n"), "VM-hours are bootstrapped: \(csv)") }
        // Beside each SVG, its PDF (librsvg and cairo are in scripts/install-deps.sh).
        for svg in svgs {
            let pdf = try Data(contentsOf: figures.appendingPathComponent(String(svg.dropLast(4)) + ".pdf"))
            XCTAssertEqual(String(decoding: pdf.prefix(5), as: UTF8.self), "%PDF-", svg)
        }
        XCTAssertTrue(html.contains(".pdf\">PDF</a>"))
        let alone = try HeadlessChromium(executable: executable).problems(loading: figures.appendingPathComponent(figure),
                                          screenshot: dir.appendingPathComponent("figure.png"), check: Self.chartCheck)
        XCTAssertEqual(alone, [], "\(figure) in Chromium:\n" + alone.joined(separator: "\n"))
        if let keep = ProcessInfo.processInfo.environment["VISAG_REPORT_SCREENSHOT"] {
            try? FileManager.default.removeItem(atPath: keep)
            try FileManager.default.copyItem(at: screenshot, to: URL(fileURLWithPath: keep))
        }
    }

    /// Checks every chart as the browser drew it, and returns its problems: a negative y tick on a non-negative
    /// metric's axis, a line joining a categorical axis's points, an interval that reaches below 0 (by its value,
    /// or drawn below the plot's bottom, which is at 0 or above), and a page without charts or whiskers.
    static let chartCheck = """
    (() => {
      const problems = [];
      const charts = [...document.querySelectorAll('svg.chart')];
      if (charts.length === 0) problems.push('no charts');
      let whiskers = 0;
      for (const svg of charts) {
        const name = svg.getAttribute('aria-label');
        const nonNegative = svg.dataset.y === 'non-negative';
        const ticks = [...svg.querySelectorAll('text.ytick')].map(t => t.textContent.trim());
        if (ticks.length === 0) problems.push(name + ': no y ticks');
        for (const t of ticks) {
          if (nonNegative && (/^[-\\u2212]/.test(t) || parseFloat(t) < 0)) problems.push(name + ': negative tick ' + t);
        }
        if (svg.dataset.x === 'categorical' && svg.querySelector('polyline')) problems.push(name + ': joined categories');
        const bottom = svg.querySelector('rect.frame').getBoundingClientRect().bottom;
        for (const ci of svg.querySelectorAll('g.ci')) {
          whiskers += 1;
          if (nonNegative && !(parseFloat(ci.dataset.low) >= 0)) problems.push(name + ': interval from ' + ci.dataset.low);
          for (const line of ci.querySelectorAll('line')) {
            if (line.getBoundingClientRect().bottom > bottom + 0.5) problems.push(name + ': whisker below the axis');
          }
        }
        if (parseFloat(ticks[0]) !== 0 && !svg.textContent.includes('y axis does not start at 0')) {
          problems.push(name + ': axis from ' + ticks[0] + ' without a note');
        }
      }
      if (charts.length > 0 && whiskers === 0) problems.push('no interval drawn');
      return problems;
    })()
    """

    func testCheckerCatchesConsoleErrorsExceptionsAndBlockedRequests() throws {
        let executable = try browser()
        let dir = try temporaryDirectory()
        let scripted = dir.appendingPathComponent("scripted.html")
        try """
        <!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>bad page</p>
        <script>console.error("injected console error")</script>
        <script>throw new Error("injected exception")</script></body></html>
        """.write(to: scripted, atomically: true, encoding: .utf8)
        // The report's own policy: an injected script or a remote image is refused and reported.
        let guarded = dir.appendingPathComponent("guarded.html")
        try """
        <!DOCTYPE html><html><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
        </head><body><p>guarded</p><script>console.log("never runs")</script><img src="http://192.0.2.1/x.png"></body></html>
        """.write(to: guarded, atomically: true, encoding: .utf8)

        let first = try HeadlessChromium(executable: executable)
            .problems(loading: scripted, screenshot: dir.appendingPathComponent("scripted.png"))
        XCTAssertTrue(first.contains { $0.contains("console.error") && $0.contains("injected console error") }, "\(first)")
        XCTAssertTrue(first.contains { $0.contains("uncaught exception") && $0.contains("injected exception") }, "\(first)")

        let second = try HeadlessChromium(executable: executable)
            .problems(loading: guarded, screenshot: dir.appendingPathComponent("guarded.png"))
        XCTAssertTrue(second.contains { $0.contains("Content Security Policy") && $0.contains("script") }, "\(second)")
        XCTAssertTrue(second.contains { $0.contains("192.0.2.1") || $0.contains("csp") }, "\(second)")

        // A chart drawn wrong in each way the chart check looks for.
        let wrong = dir.appendingPathComponent("wrong.html")
        try """
        <!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
        <svg xmlns="http://www.w3.org/2000/svg" class="chart" data-x="categorical" data-y="non-negative" width="200"
         height="120" aria-label="wrong"><rect x="20" y="10" width="160" height="80" class="frame" fill="none"/>
        <text class="ytick" x="15" y="90">-1</text><text class="ytick" x="15" y="50">0</text>
        <polyline points="40,50 120,40" stroke="black"/>
        <g class="ci" data-low="-0.5" stroke="black"><line x1="40" x2="40" y1="30" y2="110"/></g></svg></body></html>
        """.write(to: wrong, atomically: true, encoding: .utf8)
        let third = try HeadlessChromium(executable: executable)
            .problems(loading: wrong, screenshot: dir.appendingPathComponent("wrong.png"), check: Self.chartCheck)
        for expected in ["wrong: negative tick -1", "wrong: joined categories", "wrong: interval from -0.5",
                         "wrong: whisker below the axis", "wrong: axis from -1 without a note"] {
            XCTAssertTrue(third.contains(expected), "\(expected) not in \(third)")
        }
    }
}
