import Foundation
import XCTest
import Sim

final class TraceFileTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("visag-tracefile-\(ProcessInfo.processInfo.globallyUniqueString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let directory {
            try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: directory.path)
            try FileManager.default.removeItem(at: directory)
        }
    }

    @discardableResult
    private func write(_ text: String, to name: String) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(text.utf8).write(to: url)
        return url.path
    }

    /// The error `load` throws for `text` saved as `name`, failing the test if it succeeds.
    private func loadError(
        _ text: String, name: String = "trace.csv", file: StaticString = #filePath, line: UInt = #line
    ) throws -> TraceFileError? {
        let path = try write(text, to: name)
        do {
            let result = try TraceFile.load(path: path)
            XCTFail("expected an error, parsed \(result.jobs.count) jobs", file: file, line: line)
            return nil
        } catch {
            XCTAssertEqual(error.path, path, file: file, line: line)
            return error
        }
    }

    private func assertError(
        _ text: String, name: String = "trace.csv", line expectedLine: Int, column expectedColumn: Int?,
        _ expectedMessage: String, file: StaticString = #filePath, line: UInt = #line
    ) throws {
        guard let error = try loadError(text, name: name, file: file, line: line) else { return }
        XCTAssertEqual(error.line, expectedLine, "line of: \(error)", file: file, line: line)
        XCTAssertEqual(error.column, expectedColumn, "column of: \(error)", file: file, line: line)
        XCTAssertEqual(error.message, expectedMessage, file: file, line: line)
    }

    // MARK: CSV

    func testCSVRoundTripOfGeneratedJobs() throws {
        let stream = RandomStream(seed: 17, stream: .workload)
        let gaps = Distribution.exponential(mean: 0.7)
        let computes = Distribution.lognormal(median: 30, sigma: 2)
        var jobs: [TraceJob] = []
        var clock = 0.0
        for id in 0..<5000 {
            clock += gaps.sample(stream)
            jobs.append(TraceJob(id: id, arrivalSeconds: clock, computeSeconds: computes.sample(stream)))
        }
        // Round-number and extreme values reach both the fast and the slow number path.
        jobs.append(TraceJob(id: 5000, arrivalSeconds: clock, computeSeconds: 0))
        jobs.append(TraceJob(id: 5001, arrivalSeconds: clock + 1, computeSeconds: 1e-7))
        jobs.append(TraceJob(id: -3, arrivalSeconds: clock + 1e20, computeSeconds: 123_456_789.125))

        var text = "id,arrival_s,compute_s\n"
        for job in jobs {
            text += "\(job.id),\(job.arrivalSeconds),\(job.computeSeconds)\n"
        }
        let loaded = try TraceFile.load(path: try write(text, to: "round.csv"))
        XCTAssertEqual(loaded.skippedRows, 0)
        XCTAssertEqual(loaded.jobs, jobs)
        XCTAssertTrue(loaded.jobs.allSatisfy { $0.objects == 1 })
    }

    func testCSVNumbersRoundExactlyLikeDoubleInit() throws {
        let stream = RandomStream(seed: 23, stream: .custom(kind: 1000, index: 0))
        var texts: [String] = [
            "0", "0.0", "00012.5000", "1e5", "1E+5", "2.5e-3", "1.", ".5", "+7", "-0", "0x1p3",
            "9007199254740993", "9007199254740992.5", "0.1", "123456789012345678901234567890",
            "1e22", "1e23", "4.9e-324", "2.2250738585072011e-308", "1.7976931348623157e308",
            "0.30000000000000004", "3.0000000000000000000001",
        ]
        for _ in 0..<3000 {
            let digits = 1 + stream.uniformInt(below: 19)
            var number = ""
            for _ in 0..<digits { number += String(stream.uniformInt(below: 10)) }
            let point = stream.uniformInt(below: digits + 1)
            if point < digits {
                number.insert(".", at: number.index(number.startIndex, offsetBy: point))
            }
            if stream.bernoulli(0.3) { number += "e\(stream.uniformInt(below: 60) - 30)" }
            texts.append(number)
        }
        var csv = "id,arrival_s,compute_s\n"
        for (index, text) in texts.enumerated() {
            csv += "\(index),0,\(text)\n"
        }
        let jobs = try TraceFile.parse(Array(csv.utf8), format: .csv, path: "numbers.csv").jobs
        XCTAssertEqual(jobs.count, texts.count)
        for (job, text) in zip(jobs, texts) {
            let expected = Double(text)! + 0.0
            XCTAssertEqual(job.computeSeconds.bitPattern, expected.bitPattern, "parsing \(text)")
        }
    }

    /// Plain rows take a one-pass reader, rows with spaces the general one: both give the same
    /// jobs and, for a decreasing arrival, the same error.
    func testPlainAndSpacedRowsParseAlike() throws {
        let stream = RandomStream(seed: 29, stream: .custom(kind: 1000, index: 1))
        var plain = "id,arrival_s,compute_s\n"
        var spaced = plain
        var arrival = 0.0
        for id in 0..<2000 {
            arrival += Double(stream.uniformInt(below: 1000)) / 8
            let compute = ["0", "-0", "+3", "1e3", "2.5E-2", "000.125", String(stream.uniform() * 1e4)][id % 7]
            let idText = id % 11 == 0 ? "0000\(id)" : "\(id)"
            plain += "\(idText),\(arrival),\(compute)\n"
            spaced += "\(idText), \(arrival),\(compute) \n"
        }
        let fast = try TraceFile.parse(Array(plain.utf8), format: .csv, path: "plain.csv").jobs
        let general = try TraceFile.parse(Array(spaced.utf8), format: .csv, path: "spaced.csv").jobs
        XCTAssertEqual(fast.count, 2000)
        XCTAssertEqual(fast.map { $0.computeSeconds.bitPattern }, general.map { $0.computeSeconds.bitPattern })
        XCTAssertEqual(fast, general)
        for text in [plain + "9,1,1\n", spaced + "9, 1,1 \n"] {
            XCTAssertThrowsError(try TraceFile.parse(Array(text.utf8), format: .csv, path: "t.csv")) { error in
                let message = (error as? TraceFileError)?.message ?? ""
                XCTAssertTrue(message.hasPrefix("arrival_s '1' is earlier than '\(arrival)' on line 2001"), message)
            }
        }
    }

    func testCSVToleratesCRLFSpacesBOMAndTrailingBlankLines() throws {
        let text = "\u{FEFF}id, arrival_s ,compute_s\r\n 1 ,0.5,\t2\r\n2,0.5,3\r\n\r\n  \n\n"
        let result = try TraceFile.load(path: try write(text, to: "lenient.csv"))
        XCTAssertEqual(result.jobs, [
            TraceJob(id: 1, arrivalSeconds: 0.5, computeSeconds: 2),
            TraceJob(id: 2, arrivalSeconds: 0.5, computeSeconds: 3),
        ])
    }

    func testHeaderOnlyIsAnEmptyTrace() throws {
        let result = try TraceFile.load(path: try write("id,arrival_s,compute_s\n", to: "none.csv"))
        XCTAssertEqual(result.jobs, [])
        XCTAssertEqual(result.skippedRows, 0)
    }

    func testEmptyFile() throws {
        try assertError("", line: 1, column: nil, "file is empty; expected the header line 'id,arrival_s,compute_s'")
        try assertError(" \n\n", line: 1, column: nil, "file is empty; expected the header line 'id,arrival_s,compute_s'")
    }

    func testBadHeaders() throws {
        let rule = "the header must be exactly 'id,arrival_s,compute_s'"
        try assertError("1,0,5\n", line: 1, column: 1, "unknown columns '1', '0', '5' in header; \(rule)")
        try assertError("id,arrival,compute_s\n", line: 1, column: 4, "unknown column 'arrival' in header; \(rule)")
        try assertError(
            "id,arrival_s,compute_s,user,queue\n1,2,3,4,5\n", line: 1, column: 24,
            "unknown columns 'user', 'queue' in header; \(rule)")
        try assertError("id,arrival_s\n", line: 1, column: nil, "header is missing column 'compute_s'; \(rule)")
        try assertError("id,compute_s,arrival_s\n", line: 1, column: nil, "header columns are out of order; \(rule)")
        try assertError("id,id,arrival_s,compute_s\n", line: 1, column: 4, "column 'id' appears twice in header; \(rule)")
        try assertError("id,,compute_s\n", line: 1, column: 4, "header column 2 has no name; \(rule)")
    }

    func testWrongFieldCount() throws {
        let header = "id,arrival_s,compute_s\n"
        try assertError(header + "1,0,1\n2,3\n", line: 3, column: nil, "expected 3 fields (id,arrival_s,compute_s), found 2")
        try assertError(header + "1,0,1,9\n", line: 2, column: 7, "expected 3 fields (id,arrival_s,compute_s), found 4")
    }

    func testBadNumbers() throws {
        let header = "id,arrival_s,compute_s\n"
        try assertError(header + "1,abc,3\n", line: 2, column: 3, "arrival_s 'abc' is not a number")
        try assertError(header + "1,0,\n", line: 2, column: 5, "compute_s is empty; expected a number of seconds")
        try assertError(header + "1.5,0,3\n", line: 2, column: 1, "id '1.5' is not an integer")
        try assertError(header + "x,0,3\n", line: 2, column: 1, "id 'x' is not a number")
        try assertError(header + "99999999999999999999,0,3\n", line: 2, column: 1, "id '99999999999999999999' is not an integer")
        try assertError(header + "1,0,1\n2,-1,3\n", line: 3, column: 3, "arrival_s must not be negative, got '-1'")
        try assertError(header + "1,0,-0.5\n", line: 2, column: 5, "compute_s must not be negative, got '-0.5'")
        try assertError(header + "1,nan,3\n", line: 2, column: 3, "arrival_s must be finite, got 'nan'")
        try assertError(header + "1,0,inf\n", line: 2, column: 5, "compute_s must be finite, got 'inf'")
        try assertError(header + "1,1e400,1\n", line: 2, column: 3, "arrival_s must be finite, got '1e400'")
        let long = String(repeating: "7", count: 50) + "x"
        try assertError(
            header + "1,0,\(long)\n", line: 2, column: 5,
            "compute_s '\(String(repeating: "7", count: 40))…' is not a number")
    }

    func testDecreasingArrival() throws {
        try assertError(
            "id,arrival_s,compute_s\n1,5,1\n2,5.0,1\n3,3,1\n", line: 4, column: 3,
            "arrival_s '3' is earlier than '5.0' on line 3; arrivals must be non-decreasing")
    }

    func testBlankLineInsideDataIsAnError() throws {
        try assertError(
            "id,arrival_s,compute_s\n1,0,1\n\n2,1,1\n", line: 3, column: nil,
            "empty line before more data; blank lines are allowed only at the end of the file")
    }

    func testErrorDescriptionFormat() {
        XCTAssertEqual(
            TraceFileError(path: "a/b.csv", line: 3, column: 5, message: "bad").description,
            "a/b.csv:3:5: error: bad")
        XCTAssertEqual(TraceFileError(path: "a/b.csv", line: 3, message: "bad").description, "a/b.csv:3: error: bad")
        XCTAssertEqual(TraceFileError(path: "a/b.csv", line: 0, message: "bad").description, "a/b.csv: error: bad")
    }

    // MARK: Files

    func testMissingFile() {
        let path = directory.appendingPathComponent("absent.csv").path
        XCTAssertThrowsError(try TraceFile.load(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): error: no such file")
        }
    }

    func testDirectoryInsteadOfFile() throws {
        let path = directory.appendingPathComponent("folder.csv").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        XCTAssertThrowsError(try TraceFile.load(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): error: is a directory, not a trace file")
        }
    }

    /// Endless, sparse, binary and one-line inputs are refused at once, with what is wrong; nothing is reserved
    /// from the size a file claims.
    func testEndlessSparseBinaryAndHugeLineFilesAreRefusedFast() throws {
        let clock = ContinuousClock()
        func refusal(_ path: String, format: TraceFormat = .csv) -> TraceFileError? {
            let started = clock.now
            defer { XCTAssertLessThan(started.duration(to: clock.now), .seconds(5), path) }
            do {
                _ = try TraceFile.load(path: path, format: format)
                XCTFail("\(path) was accepted")
                return nil
            } catch {
                return error
            }
        }
        XCTAssertEqual(refusal("/dev/zero")?.message, "is a device, not a trace file (a device such as /dev/zero never ends)")
        func sparse(_ name: String, bytes: Int) throws -> String {
            let path = directory.appendingPathComponent(name).path
            XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("id,arrival_s,compute_s\n".utf8)))
            XCTAssertEqual(truncate(path, off_t(bytes)), 0)
            return path
        }
        let huge = refusal(try sparse("huge.csv", bytes: 4_000_000_000))
        XCTAssertEqual(huge?.message, "file is larger than 1 GiB (4000000000 bytes)")
        let holes = refusal(try sparse("holes.swf", bytes: 512 << 20), format: .swf)
        XCTAssertEqual(holes?.line, 2)
        XCTAssertEqual(holes?.message, "NUL byte at byte offset 23: not a text trace")
        let nul = refusal(try write("id,arrival_s,compute_s\n1,0,5\n2,1\u{0},5\n", to: "nul.csv"))
        XCTAssertEqual(nul?.line, 3)
        XCTAssertEqual(nul?.column, 4)
        let longLine = directory.appendingPathComponent("long.csv")
        try (Data("id,arrival_s,compute_s\n1,0,".utf8) + Data(repeating: UInt8(ascii: "5"), count: 100 << 20))
            .write(to: longLine)
        let long = refusal(longLine.path)
        XCTAssertEqual(long?.line, 2)
        XCTAssertEqual(long?.message, "line is longer than 1 MiB: not a trace line")
    }

    func testPathThroughAFile() throws {
        let file = try write("id,arrival_s,compute_s\n", to: "plain.csv")
        XCTAssertThrowsError(try TraceFile.load(path: file + "/inner.csv")) { error in
            XCTAssertEqual((error as? TraceFileError)?.message, "no such file (a component of the path is not a directory)")
        }
    }

    func testUnreadableFile() throws {
        if geteuid() == 0 {
            throw XCTSkip("root reads files regardless of permissions")
        }
        let path = try write("id,arrival_s,compute_s\n", to: "secret.csv")
        try FileManager.default.setAttributes([.posixPermissions: 0], ofItemAtPath: path)
        XCTAssertThrowsError(try TraceFile.load(path: path)) { error in
            XCTAssertEqual("\(error)", "\(path): error: cannot open file: permission denied")
        }
    }

    func testFormatFromExtensionOrExplicit() throws {
        let text = "id,arrival_s,compute_s\n1,0,2\n"
        let path = try write(text, to: "trace.txt")
        XCTAssertThrowsError(try TraceFile.load(path: path)) { error in
            XCTAssertEqual(
                "\(error)",
                "\(path): error: cannot tell the trace format from the file name; use the extension .csv or .swf, or name the format explicitly")
        }
        XCTAssertEqual(try TraceFile.load(path: path, format: .csv).jobs.count, 1)
        XCTAssertEqual(TraceFormat(pathExtensionOf: "dir.swf/x.CSV"), .csv)
        XCTAssertEqual(TraceFormat(pathExtensionOf: "a/b.swf"), .swf)
        XCTAssertNil(TraceFormat(pathExtensionOf: "a.swf/csv"))
        XCTAssertNil(TraceFormat(pathExtensionOf: ".csv"))
    }

    func testArbitraryBytesNeverCrash() {
        let stream = RandomStream(seed: 31, stream: .custom(kind: 1001, index: 0))
        let alphabet = Array("0123456789.,;-+eE \t\r\nnaif".utf8) + [0, 0xFF, 0xC3]
        for round in 0..<2000 {
            var bytes: [UInt8] = round % 2 == 0 ? Array("id,arrival_s,compute_s\n".utf8) : []
            for _ in 0..<stream.uniformInt(below: 200) {
                bytes.append(alphabet[stream.uniformInt(below: alphabet.count)])
            }
            for format in [TraceFormat.csv, .swf] {
                do {
                    let result = try TraceFile.parse(bytes, format: format, path: "fuzz")
                    XCTAssertTrue(result.jobs.allSatisfy { $0.arrivalSeconds >= 0 && $0.computeSeconds >= 0 && $0.objects >= 1 })
                } catch {
                    XCTAssertGreaterThan(error.line, 0)
                }
            }
        }
    }

    func testMutatedValidFilesNeverCrash() {
        let csv = Array("id,arrival_s,compute_s\n1,0.5,2\n2,1.5,3e2\n3,2,0.25\n".utf8)
        let swf = Array(swfSample.utf8)
        let stream = RandomStream(seed: 37, stream: .custom(kind: 1002, index: 0))
        let replacements = Array("0123456789.,;-+eE \t\r\n".utf8) + [0, 0xFF]
        for round in 0..<4000 {
            let format: TraceFormat = round % 2 == 0 ? .csv : .swf
            var bytes = format == .csv ? csv : swf
            for _ in 0...stream.uniformInt(below: 4) where !bytes.isEmpty {
                let at = stream.uniformInt(below: bytes.count)
                let replacement = replacements[stream.uniformInt(below: replacements.count)]
                switch stream.uniformInt(below: 3) {
                case 0: bytes[at] = replacement
                case 1: bytes.remove(at: at)
                default: bytes.insert(replacement, at: at)
                }
            }
            do {
                let jobs = try TraceFile.parse(bytes, format: format, path: "mutant").jobs
                XCTAssertTrue(jobs.allSatisfy { $0.arrivalSeconds >= 0 && $0.computeSeconds >= 0 && $0.objects >= 1 })
                XCTAssertEqual(jobs.map(\.arrivalSeconds), jobs.map(\.arrivalSeconds).sorted())
            } catch {
                let lines = bytes.filter { $0 == UInt8(ascii: "\n") }.count + 1
                XCTAssertTrue((1...lines).contains(error.line), "\(error)")
            }
        }
    }

    // MARK: SWF

    private let swfSample = """
        ; Version: 2.2
        ; Computer: Example cluster
        ; MaxProcs: 128
        ;
            1      0   10   3600   16  -1  -1   16  7200  -1  1  1  1  1  1 -1 -1 -1
            2     60    5     -1    8  -1  -1    8  7200  -1  0  2  1  1  1 -1 -1 -1
            3     60    0    120   -1  -1  -1   32  7200  -1  1  3  1  1  1 -1 -1 -1

            4    300    2   45.5   -1  -1  -1   -1    -1  -1  1  4  1  1  1 -1 -1 -1
            5    300    2      0    0  -1  -1    0    -1  -1  1  4  1  1  1 -1 -1 -1

        """

    func testSWFSample() throws {
        let result = try TraceFile.load(path: try write(swfSample, to: "sample.swf"))
        XCTAssertEqual(result.skippedRows, 1)
        XCTAssertEqual(result.jobs, [
            TraceJob(id: 1, arrivalSeconds: 0, computeSeconds: 3600, objects: 16),
            TraceJob(id: 3, arrivalSeconds: 60, computeSeconds: 120, objects: 32),
            TraceJob(id: 4, arrivalSeconds: 300, computeSeconds: 45.5, objects: 1),
            TraceJob(id: 5, arrivalSeconds: 300, computeSeconds: 0, objects: 1),
        ])
    }

    func testSWFErrors() throws {
        let job = { (id: Int, submit: String, run: String) in
            "\(id) \(submit) 0 \(run) 4 -1 -1 4 -1 -1 1 1 1 1 1 -1 -1 -1\n"
        }
        try assertError(
            "; header\n1 0 0 10 4\n", name: "t.swf", line: 2, column: nil,
            "expected 18 whitespace-separated SWF fields, found 5")
        try assertError(
            job(1, "0", "10") + job(2, "100", "10") + job(3, "50", "10"), name: "t.swf", line: 3, column: 3,
            "submit time '50' is earlier than '100' on line 2; SWF jobs must be in submit order")
        try assertError(
            job(1, "0", "-5"), name: "t.swf", line: 1, column: 7,
            "run time (field 4) must not be negative, got '-5'; only -1 (unknown, job skipped) is allowed")
        try assertError(job(1, "-1", "10"), name: "t.swf", line: 1, column: 3, "submit time (field 2) must not be negative, got '-1'")
        try assertError(job(1, "x", "10"), name: "t.swf", line: 1, column: 3, "submit time (field 2) 'x' is not a number")
        try assertError("", name: "t.swf", line: 1, column: nil, "file is empty; expected SWF header comments and job lines")
    }
}
