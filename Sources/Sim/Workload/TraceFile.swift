#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One job of a recorded workload.
public struct TraceJob: Equatable, Sendable {
    public var id: Int
    public var arrivalSeconds: Double
    public var computeSeconds: Double
    /// How many objects (processors, for SWF) the job occupies; at least 1.
    public var objects: Int

    public init(id: Int, arrivalSeconds: Double, computeSeconds: Double, objects: Int = 1) {
        self.id = id
        self.arrivalSeconds = arrivalSeconds
        self.computeSeconds = computeSeconds
        self.objects = objects
    }
}

public enum TraceFormat: Sendable, Equatable, CustomStringConvertible {
    /// Comma-separated, header `id,arrival_s,compute_s`.
    case csv
    /// The Standard Workload Format of the Parallel Workloads Archive.
    case swf

    /// The format named by the path's extension (`.csv` or `.swf`, any
    /// letter case), or nil for any other extension.
    public init?(pathExtensionOf path: String) {
        let name = path.split(separator: "/", omittingEmptySubsequences: false).last ?? ""
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return nil }
        switch name[name.index(after: dot)...].lowercased() {
        case "csv": self = .csv
        case "swf": self = .swf
        default: return nil
        }
    }

    public var description: String {
        switch self {
        case .csv: return "csv"
        case .swf: return "swf"
        }
    }
}

/// A problem with a trace file, located as precisely as the reader can.
///
/// `description` reads `PATH:LINE:COLUMN: error: MESSAGE`, the form editors
/// and terminals turn into links. `column` is omitted when unknown; `line`
/// is 0 when the problem concerns the file as a whole (missing, unreadable,
/// unknown extension) and is then omitted as well: `PATH: error: MESSAGE`.
public struct TraceFileError: Error, CustomStringConvertible, Equatable, Sendable {
    public var path: String
    /// 1-based line number; 0 for whole-file problems.
    public var line: Int
    /// 1-based byte offset of the offending field within its line.
    public var column: Int?
    public var message: String

    public init(path: String, line: Int, column: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String {
        var location = path
        if line > 0 {
            location += ":\(line)"
            if let column { location += ":\(column)" }
        }
        return "\(location): error: \(message)"
    }
}

/// Reads job traces.
///
/// CSV: a header line that is exactly `id,arrival_s,compute_s`, then one job
/// per line. Spaces and tabs around fields, CRLF line ends and a UTF-8 byte
/// order mark are tolerated; quoting is not supported. Blank lines may only
/// trail the data. Numbers use any syntax Swift's `Double(String)` accepts,
/// with the same rounding. Every job occupies one object.
///
/// SWF: lines starting with `;` are comments; each other non-blank line holds
/// 18 whitespace-separated fields. The reader uses field 1 (job number), 2
/// (submit time, s), 4 (run time, s), 5 (allocated processors) and, when 5 is
/// missing (≤ 0), 8 (requested processors); a job with no usable processor
/// count occupies 1. Jobs whose run time is -1 (unknown) are skipped and
/// counted. Submit times are kept as given, not shifted to start at 0.
///
/// Both formats require finite, non-negative times and non-decreasing
/// arrivals: reordering a trace silently would hide a broken file.
public enum TraceFile {
    public static let csvColumns = ["id", "arrival_s", "compute_s"]
    public static let swfFieldCount = 18
    /// Larger inputs are refused rather than exhausting memory: a gigabyte of
    /// CSV is some 50 million jobs, far more than any published trace.
    public static let maximumFileBytes = 1 << 30
    /// A longer line is no trace line (an SWF line is some 100 bytes): it is
    /// refused as soon as it is read, not after the whole file is.
    public static let maximumLineBytes = 1 << 20

    /// Reads and parses the trace at `path`. The format comes from the path's
    /// extension unless given.
    public static func load(path: String, format: TraceFormat? = nil) throws(TraceFileError)
        -> (jobs: [TraceJob], skippedRows: Int)
    {
        guard let chosen = format ?? TraceFormat(pathExtensionOf: path) else {
            throw TraceFileError(
                path: path, line: 0,
                message: "cannot tell the trace format from the file name; use the extension .csv or .swf, or name the format explicitly")
        }
        let bytes = try readFile(path: path)
        return try parse(bytes, format: chosen, path: path)
    }

    /// Parses trace text already in memory; `path` only labels errors.
    public static func parse(_ bytes: [UInt8], format: TraceFormat, path: String) throws(TraceFileError)
        -> (jobs: [TraceJob], skippedRows: Int)
    {
        let outcome: Result<(jobs: [TraceJob], skippedRows: Int), TraceFileError> =
            bytes.withUnsafeBufferPointer { buffer in
                var parser = TraceParser(bytes: buffer, path: path)
                do throws(TraceFileError) {
                    switch format {
                    case .csv: return .success(try parser.parseCSV())
                    case .swf: return .success(try parser.parseSWF())
                    }
                } catch {
                    return .failure(error)
                }
            }
        return try outcome.get()
    }

    // POSIX rather than Foundation: it tells a directory from a missing file
    // and reports errno, and reads straight into the byte array.
    static func readFile(path: String) throws(TraceFileError) -> [UInt8] {
        func failure(_ message: String) -> TraceFileError {
            TraceFileError(path: path, line: 0, message: message)
        }
        var descriptor: Int32
        repeat {
            descriptor = open(path, O_RDONLY | O_CLOEXEC)
        } while descriptor < 0 && errno == EINTR
        if descriptor < 0 {
            let code = errno
            switch code {
            case ENOENT: throw failure("no such file")
            case EACCES: throw failure("cannot open file: permission denied")
            case ENOTDIR: throw failure("no such file (a component of the path is not a directory)")
            default: throw failure("cannot open file: \(errorText(code))")
            }
        }
        defer { close(descriptor) }

        var status = stat()
        if fstat(descriptor, &status) != 0 {
            throw failure("cannot inspect file: \(errorText(errno))")
        }
        switch status.st_mode & S_IFMT {
        case S_IFDIR: throw failure("is a directory, not a trace file")
        case S_IFCHR, S_IFBLK: throw failure("is a device, not a trace file (a device such as /dev/zero never ends)")
        case S_IFSOCK: throw failure("is a socket, not a trace file")
        default: break
        }
        let isRegular = (status.st_mode & S_IFMT) == S_IFREG
        if isRegular && Int(status.st_size) > maximumFileBytes {
            throw failure("file is larger than \(maximumFileBytes >> 30) GiB (\(status.st_size) bytes)")
        }

        // Nothing is reserved from the size a file claims (a sparse file claims
        // gigabytes): the array grows as bytes arrive, each chunk checked for
        // NUL bytes (binary data, or a sparse file's holes) and over-long lines
        // before it is kept, so bad input stops at its first megabyte.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(isRegular ? min(Int(status.st_size) + 1, 1 << 20) : 1 << 16)
        let chunkBytes = 1 << 20
        let chunk = UnsafeMutableRawPointer.allocate(byteCount: chunkBytes, alignment: 16)
        defer { chunk.deallocate() }
        var lines = 1
        var lineStart = 0
        while true {
            let got = read(descriptor, chunk, chunkBytes)
            if got < 0 {
                let code = errno
                if code == EINTR { continue }
                throw failure("cannot read file: \(errorText(code))")
            }
            if got == 0 { return bytes }
            if bytes.count + got > maximumFileBytes {
                throw failure("file is larger than \(maximumFileBytes >> 30) GiB")
            }
            let read = UnsafeRawBufferPointer(start: chunk, count: got)
            for (i, byte) in read.enumerated() {
                if byte == UInt8(ascii: "\n") {
                    lines += 1
                    lineStart = bytes.count + i + 1
                } else if byte == 0 {
                    throw TraceFileError(path: path, line: lines, column: bytes.count + i - lineStart + 1,
                                         message: "NUL byte at byte offset \(bytes.count + i): not a text trace")
                }
            }
            if bytes.count + got - lineStart > maximumLineBytes {
                throw TraceFileError(path: path, line: lines,
                                     message: "line is longer than \(maximumLineBytes >> 20) MiB: not a trace line")
            }
            bytes.append(contentsOf: read)
        }
    }

    private static func errorText(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// Byte-level parsing over the whole file, so no line or field becomes a
/// String unless it ends up in an error message or is an unusual number.
private struct TraceParser {
    let bytes: UnsafeBufferPointer<UInt8>
    let path: String
    var position = 0
    var lineNumber = 0
    var lineStart = 0

    init(bytes: UnsafeBufferPointer<UInt8>, path: String) {
        self.bytes = bytes
        self.path = path
        // A UTF-8 byte order mark is editor noise, not part of the header.
        if bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF {
            position = 3
        }
    }

    // MARK: Lines and fields

    /// Advances to the next line and returns its content without the line
    /// break (and without a CR before it), or nil at end of input.
    mutating func nextLine() -> Range<Int>? {
        guard position < bytes.count else { return nil }
        lineNumber += 1
        lineStart = position
        var end = newline(from: position) ?? bytes.count
        position = end < bytes.count ? end + 1 : end
        if end > lineStart && bytes[end - 1] == UInt8(ascii: "\r") {
            end -= 1
        }
        return lineStart..<end
    }

    /// The offset of the next line feed at or after `start` (memchr scans many bytes a step).
    func newline(from start: Int) -> Int? {
        guard start < bytes.count, let base = bytes.baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(UInt8(ascii: "\n")), bytes.count - start) else { return nil }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }

    func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") || byte == UInt8(ascii: "\r")
            || byte == 0x0B || byte == 0x0C
    }

    func trimmed(_ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        var end = range.upperBound
        while start < end && isBlank(bytes[start]) { start += 1 }
        while end > start && isBlank(bytes[end - 1]) { end -= 1 }
        return start..<end
    }

    func column(_ offset: Int) -> Int {
        offset - lineStart + 1
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The field's text for a message: shortened so a corrupt file cannot
    /// produce a megabyte-long error, with control bytes made visible so
    /// they cannot garble the terminal.
    func quoted(_ range: Range<Int>) -> String {
        let limit = 40
        let shown = range.lowerBound..<Swift.min(range.upperBound, range.lowerBound + limit)
        var visible: [UInt8] = []
        visible.reserveCapacity(shown.count + 8)
        for index in shown {
            let byte = bytes[index]
            switch byte {
            case UInt8(ascii: "\t"): visible += Array("\\t".utf8)
            case UInt8(ascii: "\r"): visible += Array("\\r".utf8)
            case 0..<0x20, 0x7F:
                let digits = Array("0123456789abcdef".utf8)
                visible += Array("\\x".utf8) + [digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            default: visible.append(byte)
            }
        }
        let text = String(decoding: visible, as: UTF8.self)
        return range.count > limit ? "'\(text)…'" : "'\(text)'"
    }

    func error(_ message: String, at offset: Int? = nil) -> TraceFileError {
        TraceFileError(path: path, line: lineNumber, column: offset.map(column), message: message)
    }

    // MARK: Numbers

    /// Parses a decimal integer with an optional sign; nil if malformed or out of range.
    func integer(_ range: Range<Int>) -> Int? {
        var index = range.lowerBound
        guard index < range.upperBound else { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        guard index < range.upperBound else { return nil }
        // Accumulating negatively reaches Int.min without overflowing.
        var value = 0
        while index < range.upperBound {
            let digit = Int(bytes[index]) &- 48
            guard digit >= 0 && digit <= 9 else { return nil }
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = shifted.subtractingReportingOverflow(digit)
            if overflow1 || overflow2 { return nil }
            value = next
            index += 1
        }
        if negative { return value }
        return value == Int.min ? nil : -value
    }

    /// Parses a floating-point number exactly as `Double(String)` would.
    func double(_ range: Range<Int>) -> Double? {
        if let value = fastDouble(range) { return value }
        return Double(text(range))
    }

    /// Powers of ten that a Double holds exactly.
    static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Clinger's fast path: when the decimal significand fits in 53 bits and
    /// the power of ten is exact, one IEEE multiplication or division rounds
    /// correctly, so the result equals a full strtod. Returns nil for anything
    /// else (long significands, big exponents, "nan", hex floats, junk) and
    /// lets `Double(String)` decide.
    func fastDouble(_ range: Range<Int>) -> Double? {
        var index = range.lowerBound
        let end = range.upperBound
        guard index < end else { return nil }
        var negative = false
        if bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var significand: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var sawDigit = false
        while index < end, case let digit = bytes[index] &- 48, digit <= 9 {
            sawDigit = true
            if significand != 0 || digit != 0 {
                guard significantDigits < 19 else { return nil }
                significand = significand * 10 + UInt64(digit)
                significantDigits += 1
            }
            index += 1
        }
        if index < end && bytes[index] == UInt8(ascii: ".") {
            index += 1
            var fractionDigits = 0
            while index < end, case let digit = bytes[index] &- 48, digit <= 9 {
                fractionDigits += 1
                if significand != 0 || digit != 0 {
                    guard significantDigits < 19 else { return nil }
                    significand = significand * 10 + UInt64(digit)
                    significantDigits += 1
                }
                exponent -= 1
                index += 1
            }
            guard fractionDigits > 0 else { return nil }
        }
        guard sawDigit else { return nil }
        if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
            index += 1
            var exponentNegative = false
            if index < end && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) {
                exponentNegative = bytes[index] == UInt8(ascii: "-")
                index += 1
            }
            var written = 0
            var exponentDigits = 0
            while index < end, case let digit = bytes[index] &- 48, digit <= 9 {
                guard exponentDigits < 6 else { return nil }
                written = written * 10 + Int(digit)
                exponentDigits += 1
                index += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard index == end else { return nil }
        if significand == 0 {
            return negative ? -0.0 : 0.0
        }
        guard significand <= 1 << 53, exponent >= -22, exponent <= 22 else { return nil }
        var value = Double(significand)
        if exponent < 0 {
            value /= TraceParser.exactPowersOfTen[-exponent]
        } else {
            value *= TraceParser.exactPowersOfTen[exponent]
        }
        return negative ? -value : value
    }

    /// A time field: a finite, non-negative number of seconds.
    func seconds(_ range: Range<Int>, named name: String) throws(TraceFileError) -> Double {
        guard !range.isEmpty else {
            throw error("\(name) is empty; expected a number of seconds", at: range.lowerBound)
        }
        guard let value = double(range) else {
            throw error("\(name) \(quoted(range)) is not a number", at: range.lowerBound)
        }
        guard value.isFinite else {
            throw error("\(name) must be finite, got \(quoted(range))", at: range.lowerBound)
        }
        guard value >= 0 else {
            throw error("\(name) must not be negative, got \(quoted(range))", at: range.lowerBound)
        }
        // Normalises -0.0 so equal traces have equal bit patterns.
        return value + 0.0
    }

    func integerField(_ range: Range<Int>, named name: String) throws(TraceFileError) -> Int {
        guard !range.isEmpty else {
            throw error("\(name) is empty; expected an integer", at: range.lowerBound)
        }
        guard let value = integer(range) else {
            if double(range) != nil {
                throw error("\(name) \(quoted(range)) is not an integer", at: range.lowerBound)
            }
            throw error("\(name) \(quoted(range)) is not a number", at: range.lowerBound)
        }
        return value
    }

    // MARK: CSV

    /// Splits a line at commas into trimmed fields.
    func csvFields(_ line: Range<Int>, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var start = line.lowerBound
        var index = line.lowerBound
        while index < line.upperBound {
            if bytes[index] == UInt8(ascii: ",") {
                fields.append(trimmed(start..<index))
                start = index + 1
            }
            index += 1
        }
        fields.append(trimmed(start..<line.upperBound))
    }

    func isBlankLine(_ line: Range<Int>) -> Bool {
        trimmed(line).isEmpty
    }

    /// An upper bound on the jobs left in the input, for reserving the array.
    /// Capped by the shortest possible job line so a file of bare newlines
    /// cannot make the reservation dwarf the file itself.
    func jobCapacity(minimumLineBytes: Int) -> Int {
        var lines = 1
        var next = newline(from: position)
        while let found = next {
            lines += 1
            next = newline(from: found + 1)
        }
        return Swift.min(lines, (bytes.count - position) / minimumLineBytes + 1)
    }

    mutating func parseCSV() throws(TraceFileError) -> (jobs: [TraceJob], skippedRows: Int) {
        let expected = TraceFile.csvColumns
        let expectedText = expected.joined(separator: ",")
        var fields: [Range<Int>] = []
        fields.reserveCapacity(8)

        if (position..<bytes.count).allSatisfy({ isWhitespace(bytes[$0]) || bytes[$0] == UInt8(ascii: "\n") }) {
            lineNumber = 1
            throw error("file is empty; expected the header line '\(expectedText)'")
        }
        guard let headerLine = nextLine() else {
            preconditionFailure("a non-empty file has a first line")
        }
        csvFields(headerLine, into: &fields)
        try checkHeader(fields, expected: expected, expectedText: expectedText)

        var jobs: [TraceJob] = []
        jobs.reserveCapacity(jobCapacity(minimumLineBytes: 6)) // "0,0,0\n"
        var firstBlankLine: Int?
        var previousArrivalSeconds = 0.0
        var previousArrivalLine = 0
        // A range, not text, so the happy path allocates no String per row.
        var previousArrivalField = 0..<0
        while let line = nextLine() {
            if firstBlankLine == nil, let row = plainRow(line), row.job.arrivalSeconds >= previousArrivalSeconds {
                previousArrivalSeconds = row.job.arrivalSeconds
                previousArrivalLine = lineNumber
                previousArrivalField = row.arrivalField
                jobs.append(row.job)
                continue
            }
            if isBlankLine(line) {
                if firstBlankLine == nil { firstBlankLine = lineNumber }
                continue
            }
            if let blank = firstBlankLine {
                throw TraceFileError(
                    path: path, line: blank,
                    message: "empty line before more data; blank lines are allowed only at the end of the file")
            }
            csvFields(line, into: &fields)
            guard fields.count == expected.count else {
                let message = "expected \(expected.count) fields (\(expectedText)), found \(fields.count)"
                // Point at the first surplus field; a missing one has no place to point at.
                throw error(message, at: fields.count > expected.count ? fields[expected.count].lowerBound : nil)
            }
            let id = try integerField(fields[0], named: "id")
            let arrivalSeconds = try seconds(fields[1], named: "arrival_s")
            if arrivalSeconds < previousArrivalSeconds {
                throw error(
                    "arrival_s \(quoted(fields[1])) is earlier than \(quoted(previousArrivalField)) on line \(previousArrivalLine); arrivals must be non-decreasing",
                    at: fields[1].lowerBound)
            }
            let computeSeconds = try seconds(fields[2], named: "compute_s")
            previousArrivalSeconds = arrivalSeconds
            previousArrivalLine = lineNumber
            previousArrivalField = fields[1]
            jobs.append(TraceJob(id: id, arrivalSeconds: arrivalSeconds, computeSeconds: computeSeconds, objects: 1))
        }
        return (jobs, 0)
    }

    /// The common row, `digits,number,number` with nothing else, read in one pass; nil for
    /// anything else (spaces, signs, long ids, malformed fields), which the general path then
    /// reads or reports, so both paths accept the same rows with the same values.
    func plainRow(_ line: Range<Int>) -> (job: TraceJob, arrivalField: Range<Int>)? {
        let comma = UInt8(ascii: ",")
        var index = line.lowerBound
        let end = line.upperBound
        var id = 0
        while index < end, case let digit = bytes[index] &- 48, digit <= 9 {
            id = id &* 10 &+ Int(digit)
            index += 1
        }
        // 18 digits cannot overflow an Int.
        guard index > line.lowerBound, index - line.lowerBound <= 18, index < end, bytes[index] == comma else {
            return nil
        }
        index += 1
        let arrivalStart = index
        while index < end && bytes[index] != comma { index += 1 }
        guard index < end, let arrival = fastDouble(arrivalStart..<index), arrival >= 0,
              let compute = fastDouble(index + 1..<end), compute >= 0 else { return nil }
        // + 0.0 as in `seconds`: -0 becomes 0.
        let job = TraceJob(id: id, arrivalSeconds: arrival + 0.0, computeSeconds: compute + 0.0, objects: 1)
        return (job, arrivalStart..<index)
    }

    func checkHeader(_ fields: [Range<Int>], expected: [String], expectedText: String) throws(TraceFileError) {
        let names = fields.map(text)
        if names == expected { return }
        func shown(_ index: Int) -> String { quoted(fields[index]) }
        let requirement = "the header must be exactly '\(expectedText)'"
        if let empty = fields.firstIndex(where: { $0.isEmpty }) {
            throw error("header column \(empty + 1) has no name; \(requirement)", at: fields[empty].lowerBound)
        }
        let unknown = names.indices.filter { !expected.contains(names[$0]) }
        if let first = unknown.first {
            let list = unknown.map(shown).joined(separator: ", ")
            let noun = unknown.count == 1 ? "unknown column" : "unknown columns"
            throw error("\(noun) \(list) in header; \(requirement)", at: fields[first].lowerBound)
        }
        for index in names.indices where names[..<index].contains(names[index]) {
            throw error("column \(shown(index)) appears twice in header; \(requirement)", at: fields[index].lowerBound)
        }
        let missing = expected.filter { !names.contains($0) }
        if !missing.isEmpty {
            let list = missing.map { "'\($0)'" }.joined(separator: ", ")
            throw error("header is missing \(missing.count == 1 ? "column" : "columns") \(list); \(requirement)")
        }
        throw error("header columns are out of order; \(requirement)")
    }

    // MARK: SWF

    func swfFields(_ line: Range<Int>, into fields: inout [Range<Int>]) {
        fields.removeAll(keepingCapacity: true)
        var index = line.lowerBound
        while index < line.upperBound {
            while index < line.upperBound && isWhitespace(bytes[index]) { index += 1 }
            guard index < line.upperBound else { break }
            let start = index
            while index < line.upperBound && !isWhitespace(bytes[index]) { index += 1 }
            fields.append(start..<index)
        }
    }

    mutating func parseSWF() throws(TraceFileError) -> (jobs: [TraceJob], skippedRows: Int) {
        if (position..<bytes.count).allSatisfy({ isWhitespace(bytes[$0]) || bytes[$0] == UInt8(ascii: "\n") }) {
            lineNumber = 1
            throw error("file is empty; expected SWF header comments and job lines")
        }
        var jobs: [TraceJob] = []
        jobs.reserveCapacity(jobCapacity(minimumLineBytes: 2 * TraceFile.swfFieldCount))
        var skippedRows = 0
        var fields: [Range<Int>] = []
        fields.reserveCapacity(TraceFile.swfFieldCount + 2)
        var previousSubmitSeconds = 0.0
        var previousSubmitLine = 0
        var previousSubmitField = 0..<0
        while let line = nextLine() {
            swfFields(line, into: &fields)
            guard let first = fields.first, bytes[first.lowerBound] != UInt8(ascii: ";") else { continue }
            guard fields.count == TraceFile.swfFieldCount else {
                let message = "expected \(TraceFile.swfFieldCount) whitespace-separated SWF fields, found \(fields.count)"
                throw error(message, at: fields.count > TraceFile.swfFieldCount ? fields[TraceFile.swfFieldCount].lowerBound : nil)
            }
            // SWF fields are numbered from 1; fields[n - 1] is field n.
            let id = try integerField(fields[0], named: "job number (field 1)")
            let runField = fields[3]
            if let run = double(runField), run < 0 {
                if run == -1 {
                    skippedRows += 1
                    continue
                }
                throw error(
                    "run time (field 4) must not be negative, got \(quoted(runField)); only -1 (unknown, job skipped) is allowed",
                    at: runField.lowerBound)
            }
            let submitSeconds = try seconds(fields[1], named: "submit time (field 2)")
            if submitSeconds < previousSubmitSeconds {
                throw error(
                    "submit time \(quoted(fields[1])) is earlier than \(quoted(previousSubmitField)) on line \(previousSubmitLine); SWF jobs must be in submit order",
                    at: fields[1].lowerBound)
            }
            let computeSeconds = try seconds(runField, named: "run time (field 4)")
            let allocated = try integerField(fields[4], named: "allocated processors (field 5)")
            var objects = allocated
            if objects <= 0 {
                objects = try integerField(fields[7], named: "requested processors (field 8)")
            }
            previousSubmitSeconds = submitSeconds
            previousSubmitLine = lineNumber
            previousSubmitField = fields[1]
            jobs.append(TraceJob(
                id: id, arrivalSeconds: submitSeconds, computeSeconds: computeSeconds, objects: Swift.max(objects, 1)))
        }
        return (jobs, skippedRows)
    }
}
