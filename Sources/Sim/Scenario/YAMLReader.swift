// A validating reader for scenario files, on top of Yams' composer.
//
// Yams' `YAMLDecoder` ignores unknown keys and reports errors without positions, so the
// scenario decoder walks a tree instead: `YAMLDocument` parses a file (or text) into a
// tree whose nodes remember where they came from, applies `--set` overrides, and hands
// out `YAMLValue`s that know their field path. Every accessor either returns a value of
// the requested type or throws a `ScenarioError` naming the file, line, column and path.
//
// Safety (no input crashes or hangs the reader):
// - files over `YAMLDocument.maxFileSize` bytes, non-regular files and non-UTF-8 text are rejected;
// - a quick lexical count rejects documents with far too many nodes before Yams builds them;
// - aliases are expanded by this reader, not by Yams: every alias `*name` is first replaced by a
//   placeholder scalar, so Yams never builds (or hashes, when checking duplicate keys) an expanded
//   tree; the reader resolves placeholders against anchors while counting nodes, and rejects
//   documents over `YAMLDocument.maxNodes` nodes after expansion (billion laughs) or nested deeper
//   than `YAMLDocument.maxDepth`;
// - Yams and the conversion recurse per nesting level (libyaml allows 1000), so they run on a
//   thread with a large stack.

import Foundation
import Yams

// MARK: - Document

/// A parsed scenario document: its top-level mapping plus where it came from.
public struct YAMLDocument: Sendable {
    /// Files larger than this are rejected before parsing.
    public static let maxFileSize = 16 * 1024 * 1024
    /// Documents with more nodes than this, counting every alias expansion, are rejected.
    public static let maxNodes = 100_000
    /// Documents nested deeper than this (mappings and sequences inside each other) are rejected.
    public static let maxDepth = 100

    /// The file as given (used in error messages).
    public let file: String
    /// The top-level value; always a mapping.
    public let root: YAMLValue

    /// Reads, parses and overrides a scenario file. Every failure is a `ScenarioError` naming the file.
    ///
    /// - Parameter overrides: `--set` arguments of the form `path=value`, applied in order.
    public static func load(path: String, overrides: [String] = []) throws -> YAMLDocument {
        let text = try readText(path: path)
        return try parse(text: text, file: path, overrides: overrides)
    }

    /// Parses `text` as if read from `file`, then applies `overrides` (`path=value`, in order).
    public static func parse(text: String, file: String, overrides: [String] = []) throws -> YAMLDocument {
        guard var tree = try parseTree(text: text, file: file, override: nil) else {
            throw ScenarioError(file: file, message: "the document is empty; expected a mapping at the top level")
        }
        let top = YAMLValue(tree: tree, path: "", file: file)
        guard case .mapping = tree.content else {
            throw top.error("expected a mapping at the top level, found \(top.found(strict: false))")
        }
        var includes = IncludeBudget()
        tree = try resolveIncludes(tree, file: file, chain: [canonicalPath(file)], budget: &includes)
        for override in overrides {
            try applyOverride(override, to: &tree)
        }
        return YAMLDocument(file: file, root: YAMLValue(tree: tree, path: "", file: file))
    }

    /// This document with `overrides` applied (`path=value`, in order): a sweep parses its base once and applies
    /// each cell's values to that.
    public func applying(overrides: [String]) throws -> YAMLDocument {
        var tree = root.tree
        for override in overrides {
            try applyOverride(override, to: &tree)
        }
        return YAMLDocument(file: file, root: YAMLValue(tree: tree, path: "", file: file))
    }

    /// The top-level mapping, checked against `allowedKeys`.
    public func mapping(allowedKeys: [String]) throws -> YAMLMapping {
        try root.mapping(allowedKeys: allowedKeys)
    }
}

// MARK: - Values

/// One node of a document, with the field path and position used in error messages.
public struct YAMLValue: Sendable {
    fileprivate let tree: Tree
    /// The field path, e.g. `nodes[2].maxVM`; empty for the document itself.
    public let path: String
    /// The file the document was read from (values set by `--set` report `--set` instead).
    public let file: String

    fileprivate init(tree: Tree, path: String, file: String) {
        self.tree = tree
        self.path = path
        // A value read from an included file names that file, and so do the values inside it.
        if case let .included(includedFile, _, _) = tree.origin {
            self.file = includedFile
        } else {
            self.file = file
        }
    }

    /// 1-based line of the value, or nil when it came from a `--set` override.
    public var line: Int? {
        if case let .file(line, _) = tree.origin, line > 0 { return line }
        if case let .included(_, line, _) = tree.origin, line > 0 { return line }
        return nil
    }

    /// 1-based column of the value, or nil when it came from a `--set` override.
    public var column: Int? {
        if case let .file(line, column) = tree.origin, line > 0 { return column }
        if case let .included(_, line, column) = tree.origin, line > 0 { return column }
        return nil
    }

    /// Whether the value came from a `--set` override.
    public var isFromOverride: Bool {
        if case .override = tree.origin { return true }
        return false
    }

    /// `~`, `null` or nothing at all (`key:`), unquoted.
    public var isNull: Bool { tree.isNull }
    /// Whether the value is a mapping (null is not).
    public var isMapping: Bool { if case .mapping = tree.content { return true } else { return false } }
    /// Whether the value is a sequence (null is not).
    public var isSequence: Bool { if case .sequence = tree.content { return true } else { return false } }

    /// A command-line value (`--until 2h`) as one plain scalar reported against `flag`. The text is never
    /// parsed as YAML, so a value cannot smuggle in other fields (`--until $'5\nseed: 3'` is a malformed
    /// duration, not a document).
    public static func commandLine(_ text: String, flag: String) -> YAMLValue {
        YAMLValue(tree: Tree(content: .scalar(Scalar(text: text, plain: true)), origin: .file(line: 0, column: 0)),
                  path: "", file: flag)
    }

    /// An error located at this value.
    public func error(_ message: String) -> ScenarioError {
        makeError(origin: tree.origin, file: file, path: path, message: message)
    }

    /// This value as a mapping whose keys must all be in `allowedKeys` (null counts as an empty mapping).
    /// The first unknown key, in file order, is an error at that key's own position, with a suggestion, and
    /// `listedBy` (a command that lists every key with its meaning) when given.
    public func mapping(allowedKeys: [String], listedBy: String? = nil) throws -> YAMLMapping {
        let mapping = try mappingWithAnyKeys()
        let allowed = Set(allowedKeys)
        for entry in mapping.entries where !allowed.contains(entry.key) {
            var message = "unknown key \(quoted(entry.key))"
            if let near = suggestion(for: entry.key, among: allowedKeys) {
                message += "; did you mean \(quoted(near))?"
            } else if allowedKeys.isEmpty {
                message += "; no keys are allowed here"
            } else {
                message += "; expected one of: " + allowedKeys.joined(separator: ", ")
            }
            if let listedBy { message += " (all keys: \(listedBy))" }
            throw makeError(origin: entry.keyOrigin, file: file, path: childPath(entry.key), message: message)
        }
        return mapping
    }

    /// This value as a mapping with arbitrary keys (e.g. a table keyed by name); null counts as empty.
    public func mappingWithAnyKeys() throws -> YAMLMapping {
        switch tree.content {
        case let .mapping(entries):
            return YAMLMapping(value: self, entries: entries)
        case .scalar where isNull:
            return YAMLMapping(value: self, entries: [])
        default:
            throw error("expected a mapping, found \(found(strict: false))")
        }
    }

    /// This value as a sequence (null counts as empty); elements have paths like `nodes[2]`.
    public func sequence() throws -> [YAMLValue] {
        switch tree.content {
        case let .sequence(items):
            return items.enumerated().map { YAMLValue(tree: $1, path: path + "[\($0)]", file: file) }
        case .scalar where isNull:
            return []
        default:
            throw error("expected a sequence, found \(found(strict: false))")
        }
    }

    /// Any non-null scalar, quoted or not, as its text (`42` gives "42").
    public func string() throws -> String {
        guard case let .scalar(scalar) = tree.content, !isNull else {
            throw error("expected a string, found \(found(strict: false))")
        }
        return scalar.text
    }

    /// An unquoted integer (decimal with optional `_` separators, or `0x` hex), optionally within `range`.
    public func int(in range: ClosedRange<Int>? = nil) throws -> Int {
        let expected = "expected an integer" + describe(range)
        guard case let .scalar(scalar) = tree.content, scalar.plain, let value = parseInt(scalar.text),
              range?.contains(value) ?? true else {
            throw error("\(expected), found \(found(strict: true))")
        }
        return value
    }

    /// An unquoted finite number (integers accepted), optionally within `range`.
    /// `unit` only improves the message: "expected a number of seconds >= 0".
    public func double(in range: ClosedRange<Double>? = nil, unit: String? = nil) throws -> Double {
        let expected = "expected a number" + (unit.map { " of \($0)" } ?? "") + describe(range)
        guard case let .scalar(scalar) = tree.content, scalar.plain, let value = parseDouble(scalar.text),
              range?.contains(value) ?? true else {
            throw error("\(expected), found \(found(strict: true))")
        }
        return value
    }

    /// `true` or `false` (also `True`, `TRUE`, `False`, `FALSE`), unquoted.
    public func bool() throws -> Bool {
        if case let .scalar(scalar) = tree.content, scalar.plain {
            switch scalar.text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        throw error("expected true or false, found \(found(strict: true))")
    }

    /// A duration in seconds: a plain number of seconds (`90`, `0.25`) or a number with a unit,
    /// `"250ms"`, `"30s"`, `"5m"`, `"2h"`, `"1d"` (quoted or not; a space before the unit is allowed).
    /// By default the duration must be >= 0.
    public func seconds(in range: ClosedRange<Double>? = 0...Double.infinity) throws -> Double {
        let expectedForm = "expected a duration (a number of seconds, or a number with a unit: "
            + "\"250ms\", \"30s\", \"5m\", \"2h\", \"1d\")"
        guard case let .scalar(scalar) = tree.content, !isNull else {
            throw error("\(expectedForm), found \(found(strict: false))")
        }
        let text = scalar.text.trimmingCharacters(in: .whitespaces)
        let unitText = String(text.reversed().prefix { $0.isASCII && $0.isLetter }.reversed())
        let numberText = String(text.dropLast(unitText.count)).trimmingCharacters(in: .whitespaces)
        guard let number = parseDouble(numberText) else {
            throw error("\(expectedForm), found \(found(strict: false))")
        }
        let scale: Double
        switch unitText {
        case "", "s": scale = 1
        case "ms": scale = 0.001
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86_400
        default:
            throw error("\(expectedForm), found \(found(strict: false)) with unknown unit \(quoted(unitText))")
        }
        let value = number * scale
        guard value.isFinite, range?.contains(value) ?? true else {
            throw error("expected a number of seconds\(describe(range)), found \(found(strict: false))")
        }
        return value
    }

    /// One of the raw values of `E` (quoted or not). The error lists the allowed values and
    /// suggests the closest one.
    public func choice<E: RawRepresentable & CaseIterable>(_ type: E.Type) throws -> E where E.RawValue == String {
        if case let .scalar(scalar) = tree.content, !isNull, let value = E(rawValue: scalar.text) {
            return value
        }
        let allowed = E.allCases.map(\.rawValue)
        var message = "expected one of " + allowed.map(quoted).joined(separator: ", ")
            + ", found \(found(strict: false))"
        if case let .scalar(scalar) = tree.content, !isNull,
           let near = suggestion(for: scalar.text, among: allowed) {
            message += "; did you mean \(quoted(near))?"
        }
        throw error(message)
    }

    // MARK: Helpers

    func childPath(_ key: String) -> String {
        path.isEmpty ? key : path + "." + key
    }

    /// What this value is, for "found ..." in messages. `strict` marks quoted scalars as strings
    /// (where a number or boolean was expected, `"5"` is not 5).
    func found(strict: Bool) -> String {
        switch tree.content {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case let .scalar(scalar):
            if scalar.plain && scalar.text.isEmpty { return "nothing (an empty value)" }
            if isNull { return "null" }
            return strict && !scalar.plain ? "the quoted string \(quoted(scalar.text))" : quoted(scalar.text)
        }
    }
}

/// A mapping being decoded: look keys up with `required` and `optional`.
public struct YAMLMapping: Sendable {
    /// The mapping itself (its path and position are used for "missing key" errors).
    public let value: YAMLValue
    fileprivate let entries: [Entry]

    fileprivate init(value: YAMLValue, entries: [Entry]) {
        self.value = value
        self.entries = entries
    }

    /// The keys in file order (keys merged with `<<` appear where the merge was written).
    public var keys: [String] { entries.map(\.key) }

    /// Every entry, in file order.
    public var items: [(key: String, value: YAMLValue)] {
        entries.map { ($0.key, YAMLValue(tree: $0.value, path: value.childPath($0.key), file: value.file)) }
    }

    /// Whether `key` is present (even with a null value).
    public func contains(_ key: String) -> Bool {
        entries.contains { $0.key == key }
    }

    /// The value for `key`; a missing key is an error at the mapping's own position.
    /// A key present with a null value is returned (its accessors will report "found null").
    public func required(_ key: String) throws -> YAMLValue {
        guard let entry = entries.first(where: { $0.key == key }) else {
            throw value.error("missing required key \(quoted(key))")
        }
        return YAMLValue(tree: entry.value, path: value.childPath(key), file: value.file)
    }

    /// The value for `key`, or nil when the key is absent or its value is null (`key:`, `key: ~`).
    public func optional(_ key: String) -> YAMLValue? {
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        return YAMLValue(tree: entry.value, path: value.childPath(key), file: value.file)
    }

    /// An error located at the mapping (e.g. for constraints between keys).
    public func error(_ message: String) -> ScenarioError {
        value.error(message)
    }
}

// MARK: - Tree

/// Where a node came from.
fileprivate enum Origin: Sendable, Equatable {
    /// A position in the document's file (1-based; line 0 when Yams gave no mark).
    case file(line: Int, column: Int)
    /// A position in a file the document includes (`include:`), which errors name instead of the document.
    case included(file: String, line: Int, column: Int)
    /// A `--set` override; the payload is the override as written (`path=value`).
    case override(String)
}

fileprivate struct Scalar: Sendable {
    var text: String
    /// Unquoted and untagged: only plain scalars are numbers, booleans or null.
    var plain: Bool
}

fileprivate struct Entry: Sendable {
    var key: String
    var keyOrigin: Origin
    var value: Tree
}

fileprivate enum Content: Sendable {
    case scalar(Scalar)
    case sequence([Tree])
    case mapping([Entry])
}

/// The reader's own tree: aliases resolved, merge keys applied, every node tagged with its origin.
/// Subtrees reached through aliases are shared, not copied.
fileprivate struct Tree: Sendable {
    var content: Content
    var origin: Origin
    /// Nodes in this subtree (keys included, shared subtrees counted each time they appear).
    /// Computed when built; not maintained by overrides, which only happen after the limits are checked.
    let size: Int
    /// Nesting levels in this subtree (a scalar is 1).
    let height: Int

    init(content: Content, origin: Origin) {
        self.content = content
        self.origin = origin
        switch content {
        case .scalar:
            (size, height) = (1, 1)
        case let .sequence(items):
            size = items.reduce(1) { $0 + $1.size }
            height = 1 + (items.map(\.height).max() ?? 0)
        case let .mapping(entries):
            size = entries.reduce(1) { $0 + 1 + $1.value.size }
            height = 1 + (entries.map(\.value.height).max() ?? 0)
        }
    }

    var isNull: Bool {
        guard case let .scalar(scalar) = content, scalar.plain else { return false }
        switch scalar.text {
        case "", "~", "null", "Null", "NULL": return true
        default: return false
        }
    }
}

fileprivate func makeError(origin: Origin, file: String, path: String, message: String) -> ScenarioError {
    switch origin {
    case let .file(line, column):
        return line > 0
            ? ScenarioError(file: file, line: line, column: column, path: path, message: message)
            : ScenarioError(file: file, path: path, message: message)
    case let .included(includedFile, line, column):
        return line > 0
            ? ScenarioError(file: includedFile, line: line, column: column, path: path, message: message)
            : ScenarioError(file: includedFile, path: path, message: message)
    case let .override(text):
        return ScenarioError(file: "--set", path: path, message: message + " (from --set \(text))")
    }
}

// MARK: - Includes

/// How many files one document may pull in, and how deep (a file including a file ...).
public enum YAMLIncludeLimits {
    public static let maxDepth = 8
    public static let maxFiles = 32
}

fileprivate struct IncludeBudget {
    var files = 0
}

fileprivate func canonicalPath(_ path: String) -> String {
    URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
}

/// `include: FILE` or `include: [FILE, ...]` at the top of `tree` (read from `file`): each file, relative to
/// `file`'s folder, is read (with its own includes) and merged in order, and `tree`'s own keys go on top. Merging
/// is by section: a top-level key set in both is replaced by the later one, except that two mappings are merged
/// field by field, each field taken whole from the later file (`hypervisor.revert` in the including file replaces
/// the included `hypervisor.revert`, and keeps the included `hypervisor.boot`). `chain` holds the canonical paths
/// of the files being read, outermost first, to refuse a cycle.
fileprivate func resolveIncludes(_ tree: Tree, file: String, chain: [String], budget: inout IncludeBudget) throws -> Tree {
    guard case let .mapping(entries) = tree.content,
          let position = entries.firstIndex(where: { $0.key == "include" }) else { return tree }
    let entry = entries[position]
    var own = entries
    own.remove(at: position)
    let directive = YAMLValue(tree: entry.value, path: "include", file: file)
    let names: [YAMLValue] = directive.isSequence ? try directive.sequence() : [directive]
    if names.isEmpty || directive.isNull {
        throw directive.error("expected a file name or a list of file names to include, found \(directive.found(strict: false))")
    }
    var merged: Tree?
    for name in names {
        let text = try name.string()
        if text.isEmpty { throw name.error("expected a file name to include, found an empty string") }
        let directory = (file as NSString).deletingLastPathComponent
        let path = text.hasPrefix("/") || directory.isEmpty ? text : (directory as NSString).appendingPathComponent(text)
        let canonical = canonicalPath(path)
        if let start = chain.firstIndex(of: canonical) {
            let cycle = (chain[start...] + [canonical]).map { ($0 as NSString).lastPathComponent }
            throw name.error("include cycle: " + cycle.joined(separator: " -> "))
        }
        if chain.count > YAMLIncludeLimits.maxDepth {
            throw name.error("includes nest more than \(YAMLIncludeLimits.maxDepth) files deep")
        }
        budget.files += 1
        if budget.files > YAMLIncludeLimits.maxFiles {
            throw name.error("more than \(YAMLIncludeLimits.maxFiles) included files in all")
        }
        let included: Tree
        do {
            included = try readIncluded(path: path, chain: chain + [canonical], budget: &budget)
        } catch let error as ScenarioError {
            // Said from the including side too when the file itself could not be read.
            if error.file == path && error.line == nil && error.path.isEmpty {
                throw name.error("cannot include \(quoted(text)): \(error.message)")
            }
            throw error
        }
        merged = merged.map { mergeSections(base: $0, over: included) } ?? included
    }
    let ownTree = Tree(content: .mapping(own), origin: tree.origin)
    return merged.map { mergeSections(base: $0, over: ownTree) } ?? ownTree
}

/// The file at `path` as a tree whose positions name it, with its own includes merged in.
fileprivate func readIncluded(path: String, chain: [String], budget: inout IncludeBudget) throws -> Tree {
    let body = try readText(path: path)
    guard let parsed = try parseTree(text: body, file: path, override: nil) else {
        throw ScenarioError(file: path, message: "the included file is empty; expected a mapping at the top level")
    }
    let top = YAMLValue(tree: parsed, path: "", file: path)
    guard case .mapping = parsed.content else {
        throw top.error("expected a mapping at the top level of an included file, found \(top.found(strict: false))")
    }
    return try resolveIncludes(relocated(parsed, to: path), file: path, chain: chain, budget: &budget)
}

extension YAMLDocument {
    /// This document with the file at `path` merged over it section by section, as an include whose keys win over
    /// the document's own (`visag validate --calibration FILE`). Errors in that file name it.
    public func overlaid(withFile path: String) throws -> YAMLDocument {
        var budget = IncludeBudget()
        let over = try readIncluded(path: path, chain: [canonicalPath(file), canonicalPath(path)], budget: &budget)
        return YAMLDocument(file: file, root: YAMLValue(tree: mergeSections(base: root.tree, over: over), path: "",
                                                         file: file))
    }
}

/// Every position in `tree` as a position in the included file `file` (positions already in a deeper file stay).
fileprivate func relocated(_ tree: Tree, to file: String) -> Tree {
    func origin(_ origin: Origin) -> Origin {
        if case let .file(line, column) = origin { return .included(file: file, line: line, column: column) }
        return origin
    }
    let content: Content
    switch tree.content {
    case .scalar:
        content = tree.content
    case let .sequence(items):
        content = .sequence(items.map { relocated($0, to: file) })
    case let .mapping(entries):
        content = .mapping(entries.map { Entry(key: $0.key, keyOrigin: origin($0.keyOrigin), value: relocated($0.value, to: file)) })
    }
    return Tree(content: content, origin: origin(tree.origin))
}

/// `base` with `over`'s sections on top (see `resolveIncludes`).
fileprivate func mergeSections(base: Tree, over: Tree) -> Tree {
    guard case var .mapping(result) = base.content, case let .mapping(top) = over.content else { return over }
    for entry in top {
        guard let index = result.firstIndex(where: { $0.key == entry.key }) else {
            result.append(entry)
            continue
        }
        if case let .mapping(fields) = result[index].value.content, case let .mapping(newer) = entry.value.content {
            var combined = fields
            for field in newer {
                if let at = combined.firstIndex(where: { $0.key == field.key }) {
                    combined[at] = field
                } else {
                    combined.append(field)
                }
            }
            // The section's own position is the later file's, so fields without a position of their own name it.
            result[index] = Entry(key: entry.key, keyOrigin: entry.keyOrigin,
                                  value: Tree(content: .mapping(combined), origin: entry.value.origin))
        } else {
            result[index] = entry
        }
    }
    return Tree(content: .mapping(result), origin: over.origin)
}

// MARK: - Reading files

fileprivate func readText(path: String) throws -> String {
    func fail(_ message: String, line: Int? = nil) -> ScenarioError {
        ScenarioError(file: path, line: line, message: message)
    }
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    guard !path.isEmpty, manager.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw fail("no such file")
    }
    if isDirectory.boolValue {
        throw fail("is a directory, not a scenario file")
    }
    // stat, not attributesOfItem: a scenario reached through a symlink is judged by the file it names.
    var status = stat()
    if stat(path, &status) == 0, status.st_mode & S_IFMT != S_IFREG {
        throw fail("is not a regular file")
    }
    let limitText = "the limit is \(YAMLDocument.maxFileSize / (1024 * 1024)) MiB"
    if Int(status.st_size) > YAMLDocument.maxFileSize {
        throw fail("file is too large (\(status.st_size) bytes; \(limitText))")
    }
    guard manager.isReadableFile(atPath: path), let handle = FileHandle(forReadingAtPath: path) else {
        throw fail("cannot read the file (permission denied)")
    }
    defer { try? handle.close() }
    let data: Data
    do {
        data = try handle.read(upToCount: YAMLDocument.maxFileSize + 1) ?? Data()
    } catch {
        throw fail("cannot read the file (\(error.localizedDescription))")
    }
    if data.count > YAMLDocument.maxFileSize {
        throw fail("file is too large (more than \(YAMLDocument.maxFileSize) bytes; \(limitText))")
    }
    if let text = String(data: data, encoding: .utf8) {
        return text
    }
    if let (offset, line) = firstInvalidUTF8(data) {
        let byte = String(data[data.startIndex + offset], radix: 16, uppercase: true)
        throw fail("not UTF-8 text (invalid byte 0x\(byte.count == 1 ? "0" + byte : byte) at byte offset \(offset))",
                   line: line)
    }
    return String(decoding: data, as: UTF8.self)
}

/// The byte offset and 1-based line of the first invalid UTF-8 sequence, or nil if `data` is valid.
fileprivate func firstInvalidUTF8(_ data: Data) -> (offset: Int, line: Int)? {
    var parser = Unicode.UTF8.ForwardParser()
    var iterator = data.makeIterator()
    var offset = 0
    var line = 1
    while true {
        switch parser.parseScalar(from: &iterator) {
        case let .valid(encoded):
            if encoded.count == 1, encoded.first == UInt8(ascii: "\n") { line += 1 }
            offset += encoded.count
        case .emptyInput:
            return nil
        case .error:
            return (offset, line)
        }
    }
}

// MARK: - Parsing

/// Parses `text` into a tree; nil when there is no document (empty, or only comments).
/// `override` is the `--set` text when parsing an override's value (errors then point at `--set`).
///
/// Yams' composer and the conversion recurse once per nesting level (libyaml allows 1000, debug
/// frames are large), so both run on a thread with a large stack: deep input gives an error,
/// never a stack overflow, whatever thread the caller is on.
fileprivate func parseTree(text: String, file: String, override: String?) throws -> Tree? {
    let result = runWithLargeStack { () -> Result<Tree?, ScenarioError> in
        do {
            return .success(try parseTreeOnThisThread(text: text, file: file, override: override))
        } catch let error as ScenarioError {
            return .failure(error)
        } catch {
            return .failure(ScenarioError(file: override == nil ? file : "--set", message: "\(error)"))
        }
    }
    return try result.get()
}

fileprivate final class ResultBox<Value>: @unchecked Sendable {
    var value: Value?
}

/// Runs `body` on a new thread with a 64 MiB stack and waits for it.
fileprivate func runWithLargeStack<Value>(_ body: @escaping @Sendable () -> Value) -> Value {
    let box = ResultBox<Value>()
    let done = DispatchSemaphore(value: 0)
    let thread = Thread {
        box.value = body()
        done.signal()
    }
    thread.stackSize = 64 << 20
    thread.start()
    done.wait()
    return box.value!
}

fileprivate func parseTreeOnThisThread(text: String, file: String, override: String?) throws -> Tree? {
    var text = text
    if text.unicodeScalars.first == "\u{FEFF}" { text.unicodeScalars.removeFirst() }
    if let line = lineWhereNodeEstimateExceeds(YAMLDocument.maxNodes, in: text) {
        let message = "document too large (more than \(YAMLDocument.maxNodes) nodes)"
        throw override.map { ScenarioError(file: "--set", message: message + " (from --set \($0))") }
            ?? ScenarioError(file: file, line: line, message: message)
    }
    let sanitized = Sanitized(text)
    let parser: Parser
    let root: Node?
    do {
        parser = try Parser(yaml: sanitized.text, resolver: .basic, constructor: .default, encoding: .utf8)
        root = try parser.singleRoot()
    } catch let error as YamlError {
        throw convert(error, sanitized: sanitized, file: file, override: override)
    } catch {
        throw ScenarioError(file: override == nil ? file : "--set", message: "cannot parse YAML: \(error)")
    }
    guard let root else { return nil }
    // Anchors on Yams nodes are weak references owned by the parser: keep it alive while converting.
    return try withExtendedLifetime(parser) {
        var converter = Converter(file: file, override: override, sanitized: sanitized)
        return try converter.convert(root, path: "", depth: 1)
    }
}

/// A quick lower bound on the number of nodes, so that Yams is never asked to build millions of
/// them (a 16 MiB flow sequence would take over a gigabyte): counts flow separators `,`, block
/// entries `- ` and `? `, key indicators `: ` and flow collection starts, outside quotes, comments
/// and block scalars. Each marks at least one node. Returns the line where the count passes `limit`.
fileprivate func lineWhereNodeEstimateExceeds(_ limit: Int, in text: String) -> Int? {
    var text = text
    text.makeContiguousUTF8()
    return text.utf8.withContiguousStorageIfAvailable { bytes in
        nodeEstimate(bytes, limit)
    } ?? Array(text.utf8).withUnsafeBufferPointer { nodeEstimate($0, limit) }
}

private func nodeEstimate(_ bytes: UnsafeBufferPointer<UInt8>, _ limit: Int) -> Int? {
    let space = UInt8(ascii: " "), tab = UInt8(ascii: "\t"), newline = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
    func isBlank(_ index: Int) -> Bool {
        index >= bytes.count || bytes[index] == space || bytes[index] == tab
            || bytes[index] == newline || bytes[index] == cr
    }
    var count = 0
    var line = 1
    var index = 0
    var flowDepth = 0
    var quote: UInt8?            // the open quote character, if inside a quoted scalar
    var valueStart = true        // at a position where a node may start (line start, after "- ", ": ")
    var blockScalarIndent: Int?  // inside a block scalar whose parent line has this indentation
    var lineIndent = 0
    var atLineStart = true
    while index < bytes.count {
        let byte = bytes[index]
        if atLineStart {
            atLineStart = false
            var end = index
            while end < bytes.count, bytes[end] == space { end += 1 }
            let indent = end - index
            let blank = end >= bytes.count || bytes[end] == newline || bytes[end] == cr
            if let parentIndent = blockScalarIndent, quote == nil {
                if blank || indent > parentIndent {
                    // Block scalar content: skip the line.
                    while index < bytes.count, bytes[index] != newline { index += 1 }
                    continue
                }
                blockScalarIndent = nil
            }
            lineIndent = indent
            if quote == nil && flowDepth == 0 { valueStart = true }
            index = end
            continue
        }
        if byte == newline {
            line += 1
            index += 1
            atLineStart = true
            continue
        }
        if let open = quote {
            if byte == UInt8(ascii: "\\") && open == UInt8(ascii: "\"") {
                index += 2
                continue
            }
            if byte == open { quote = nil; valueStart = false }
            index += 1
            continue
        }
        let previousIsBlank = index == 0 || isBlank(index - 1)
        let previous: UInt8 = index == 0 ? newline : bytes[index - 1]
        var counted = false
        switch byte {
        case UInt8(ascii: "#") where previousIsBlank:
            while index < bytes.count, bytes[index] != newline { index += 1 }
            continue
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let tokenStart = previousIsBlank || [UInt8(ascii: "["), UInt8(ascii: "{"), UInt8(ascii: ","),
                                                 UInt8(ascii: ":")].contains(previous)
            if tokenStart { quote = byte }
            valueStart = false
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            if flowDepth > 0 || valueStart {
                flowDepth += 1
                counted = true
            }
            valueStart = false
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            if flowDepth > 0 { flowDepth -= 1 }
            valueStart = false
        case UInt8(ascii: ",") where flowDepth > 0:
            counted = true
        case UInt8(ascii: "-") where flowDepth == 0 && valueStart && isBlank(index + 1),
             UInt8(ascii: "?") where valueStart && isBlank(index + 1):
            counted = true   // still at a value start: "- - x", "- key: x"
        case UInt8(ascii: ":") where isBlank(index + 1):
            counted = true
            valueStart = flowDepth == 0
        case UInt8(ascii: "|"), UInt8(ascii: ">"):
            if flowDepth == 0 && valueStart {
                blockScalarIndent = lineIndent
                while index < bytes.count, bytes[index] != newline { index += 1 }
                continue
            }
            valueStart = false
        case space, tab, cr:
            break
        default:
            valueStart = false
        }
        if counted {
            count += 1
            if count > limit { return line }
        }
        index += 1
    }
    return nil
}

/// The text handed to Yams: each alias `*name` replaced by a private-use placeholder character
/// followed by the name, so Yams sees a plain scalar instead of expanding the alias.
fileprivate struct Sanitized {
    var text: String
    /// Stands for `*` at the start of an alias.
    var aliasMark: Unicode.Scalar
    /// Inserted into keys while locating duplicate keys; never in `text`.
    var keyMark: Unicode.Scalar

    init(_ original: String) {
        // Pick two private-use characters that do not occur in the text.
        var used = [Bool](repeating: false, count: 0x1000)
        for scalar in original.unicodeScalars where (0xE000..<0xF000).contains(scalar.value) {
            used[Int(scalar.value - 0xE000)] = true
        }
        var free = (0..<0x1000).lazy.filter { !used[$0] }.makeIterator()
        // 4096 candidates and each needs a distinct character in the text: with a 16 MiB cap there is
        // always room in practice; if not, fall back to characters Yams would reject as unprintable.
        aliasMark = free.next().flatMap { Unicode.Scalar(0xE000 + UInt32($0)) } ?? "\u{FFFE}"
        keyMark = free.next().flatMap { Unicode.Scalar(0xE000 + UInt32($0)) } ?? "\u{FFFF}"

        let scalars = Array(original.unicodeScalars)
        var output = String.UnicodeScalarView()
        output.reserveCapacity(scalars.count)
        for index in scalars.indices {
            let scalar = scalars[index]
            if scalar == "*", Sanitized.isAliasStart(scalars, index) {
                output.append(aliasMark)
            } else {
                output.append(scalar)
            }
        }
        text = String(output)
    }

    /// Whether `scalars[index]` (a `*`) starts an alias token as libyaml scans it: at the start of a
    /// token, followed by `[0-9A-Za-z_-]+` and then a blank, a line break, the end, or `?:,]}%@` and backquote.
    /// Stars inside scalars or comments that also look like this are restored after composing.
    static func isAliasStart(_ scalars: [Unicode.Scalar], _ index: Int) -> Bool {
        if index > 0 {
            switch scalars[index - 1] {
            case " ", "\t", "\n", "\r", "[", "{", ",", "\u{85}", "\u{2028}", "\u{2029}", "\u{FEFF}": break
            default: return false
            }
        }
        var end = index + 1
        while end < scalars.count, isAnchorCharacter(scalars[end]) { end += 1 }
        guard end > index + 1 else { return false }
        guard end < scalars.count else { return true }
        switch scalars[end] {
        case " ", "\t", "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}", "\0",
             "?", ":", ",", "]", "}", "%", "@", "`":
            return true
        default:
            return false
        }
    }

    static func isAnchorCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "A"..."Z", "a"..."z", "_", "-": return true
        default: return false
        }
    }

    /// The alias name if `scalar` is a placeholder left for an alias.
    func aliasName(_ scalar: Node.Scalar, isKey: Bool) -> String? {
        guard isPlain(scalar, isKey: isKey),
              scalar.string.unicodeScalars.first == aliasMark else { return nil }
        let name = scalar.string.unicodeScalars.dropFirst()
        guard !name.isEmpty, name.allSatisfy(Sanitized.isAnchorCharacter) else { return nil }
        return String(name)
    }

    /// Unquoted and untagged. Yams resolves the tags of mapping keys in place while checking for
    /// duplicates (implicit becomes `!!str`), so for keys only the style is telling.
    func isPlain(_ scalar: Node.Scalar, isKey: Bool) -> Bool {
        scalar.style == .plain && (isKey || scalar.tag.rawValue.isEmpty)
    }

    /// `string` as the user wrote it: placeholders back to `*`, key marks removed.
    func restore(_ string: String) -> String {
        guard string.unicodeScalars.contains(where: { $0 == aliasMark || $0 == keyMark }) else { return string }
        var output = String.UnicodeScalarView()
        for scalar in string.unicodeScalars where scalar != keyMark {
            output.append(scalar == aliasMark ? "*" : scalar)
        }
        return String(output)
    }
}

/// Converts a Yams node tree into a `Tree`, resolving aliases and merge keys, counting nodes
/// (each alias as the full size of its target) and limiting the depth.
fileprivate struct Converter {
    let file: String
    let override: String?
    let sanitized: Sanitized
    /// Anchors seen so far, in document order (an alias refers to the latest anchor before it).
    var anchors: [String: Tree] = [:]
    /// Nodes produced so far, counting each alias as the full size of its target.
    var total = 0
    var expandedAlias = false

    init(file: String, override: String?, sanitized: Sanitized) {
        self.file = file
        self.override = override
        self.sanitized = sanitized
    }

    func origin(_ mark: Mark?) -> Origin {
        if let override { return .override(override) }
        return .file(line: mark?.line ?? 0, column: mark?.column ?? 0)
    }

    func fail(_ mark: Mark?, _ path: String, _ message: String) -> ScenarioError {
        makeError(origin: origin(mark), file: file, path: path, message: message)
    }

    mutating func count(_ nodes: Int, _ mark: Mark?, _ path: String) throws {
        total += nodes
        if total > YAMLDocument.maxNodes {
            throw fail(mark, path, expandedAlias
                ? "document too large after alias expansion (more than \(YAMLDocument.maxNodes) nodes)"
                : "document too large (more than \(YAMLDocument.maxNodes) nodes)")
        }
    }

    func checkDepth(_ depth: Int, _ mark: Mark?, _ path: String) throws {
        if depth > YAMLDocument.maxDepth {
            throw fail(mark, path, "document nested too deeply (more than \(YAMLDocument.maxDepth) levels)")
        }
    }

    /// `depth` is the nesting level of `node` (the root is 1).
    mutating func convert(_ node: Node, path: String, depth: Int, isKey: Bool = false) throws -> Tree {
        try checkDepth(depth, node.mark, path)
        let tree: Tree
        switch node {
        case let .scalar(scalar):
            if let name = sanitized.aliasName(scalar, isKey: isKey) {
                guard var target = anchors[name] else {
                    throw fail(scalar.mark, path, "unknown alias \"*\(name)\" (no anchor \"&\(name)\" before it)")
                }
                expandedAlias = true
                try count(target.size, scalar.mark, path)
                try checkDepth(depth - 1 + target.height, scalar.mark, path)
                target.origin = origin(scalar.mark)   // the alias' own position for the value itself
                return target
            }
            try count(1, scalar.mark, path)
            let plain = sanitized.isPlain(scalar, isKey: isKey)
            tree = Tree(content: .scalar(Scalar(text: sanitized.restore(scalar.string), plain: plain)),
                        origin: origin(scalar.mark))
        case let .sequence(sequence):
            try count(1, sequence.mark, path)
            var items: [Tree] = []
            items.reserveCapacity(sequence.count)
            for (index, item) in sequence.enumerated() {
                items.append(try convert(item, path: path + "[\(index)]", depth: depth + 1))
            }
            tree = Tree(content: .sequence(items), origin: origin(sequence.mark))
        case let .mapping(mapping):
            try count(1, mapping.mark, path)
            tree = try convertMapping(mapping, path: path, depth: depth)
        case let .alias(alias):
            // Yams' composer resolves aliases itself and never returns this case.
            throw fail(alias.mark, path, "unsupported alias \"*\(alias.anchor.rawValue)\"")
        }
        if let anchor = node.anchor {
            anchors[anchor.rawValue] = tree
        }
        return tree
    }

    mutating func convertMapping(_ mapping: Node.Mapping, path: String, depth: Int) throws -> Tree {
        func child(_ key: String) -> String { path.isEmpty ? key : path + "." + key }
        // Explicit keys first, so that merged keys (`<<`) never override them.
        var explicitLines: [String: Int] = [:]
        var converted: [(key: String, keyOrigin: Origin, value: Tree, merge: Bool)] = []
        for (keyNode, valueNode) in mapping {
            let keyTree = try convert(keyNode, path: path, depth: depth + 1, isKey: true)
            guard case let .scalar(keyScalar) = keyTree.content else {
                let kind = keyTree.content.isMapping ? "a mapping" : "a sequence"
                throw fail(keyNode.mark, path, "mapping keys must be strings, found \(kind)")
            }
            let key = keyScalar.text
            let isMerge = keyScalar.plain && key == "<<"
            let value = try convert(valueNode, path: isMerge ? path : child(key), depth: depth + 1)
            if !isMerge {
                let line = keyNode.mark?.line ?? 0
                if let first = explicitLines[key] {   // e.g. via an alias used as a key
                    throw fail(keyNode.mark, child(key),
                               "duplicate key \(quoted(key)) (first on line \(first), again on line \(line))")
                }
                explicitLines[key] = line
            }
            converted.append((key, keyTree.origin, value, isMerge))
        }
        var entries: [Entry] = []
        var present = Set<String>()
        for item in converted {
            if !item.merge {
                entries.append(Entry(key: item.key, keyOrigin: item.keyOrigin, value: item.value))
                present.insert(item.key)
                continue
            }
            // `<<: *base` or `<<: [*a, *b]`: earlier sources win, explicit keys win over all.
            let sources: [Tree]
            if case let .sequence(list) = item.value.content { sources = list } else { sources = [item.value] }
            for source in sources {
                guard case let .mapping(mergedEntries) = source.content else {
                    let shown = YAMLValue(tree: source, path: child("<<"), file: file)
                    throw shown.error("expected a mapping (or a sequence of mappings) to merge, found "
                                      + shown.found(strict: false))
                }
                for entry in mergedEntries where explicitLines[entry.key] == nil && !present.contains(entry.key) {
                    entries.append(entry)
                    present.insert(entry.key)
                }
            }
        }
        return Tree(content: .mapping(entries), origin: origin(mapping.mark))
    }
}

fileprivate extension Content {
    var isMapping: Bool { if case .mapping = self { return true } else { return false } }
}

// MARK: - Yams errors

fileprivate func convert(_ error: YamlError, sanitized: Sanitized, file: String, override: String?) -> ScenarioError {
    func located(_ line: Int?, _ column: Int?, _ message: String) -> ScenarioError {
        if let override {
            let path = String(override.prefix { $0 != "=" })
            return ScenarioError(file: "--set", path: path, message: "\(message) in the value (from --set \(override))")
        }
        return ScenarioError(file: file, line: line, column: column, message: message)
    }
    func describe(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> String {
        if problem.hasPrefix("Maximum nesting level reached") {
            return "document nested too deeply (more than \(YAMLDocument.maxDepth) levels)"
        }
        if problem == "but found another document" {
            return "expected a single document, found a second one"
        }
        var problem = sanitized.restore(problem)
        let scalars = Array(sanitized.text.unicodeScalars)
        if let index = scalarIndex(line: mark.line, column: mark.column, in: scalars),
           index < scalars.count, scalars[index] == "\t" {
            problem += " (a tab; YAML indentation must use spaces)"
        }
        guard let context else { return "invalid YAML: \(problem)" }
        return "invalid YAML: \(problem) (\(sanitized.restore(context.text)) at line \(context.mark.line), column \(context.mark.column))"
    }
    switch error {
    case let .scanner(context, problem, mark, _),
         let .parser(context, problem, mark, _),
         let .composer(context, problem, mark, _):
        return located(mark.line, mark.column, describe(problem, context, mark))
    case let .reader(problem, offset, value, _):
        var line: Int?, column: Int?
        if let offset {
            let position = lineAndColumn(ofCharacter: offset, in: sanitized.text)
            line = position.0
            column = position.1
        }
        let character = value >= 0 ? String(format: " (character U+%04X)", Int(value)) : ""
        return located(line, column, "invalid text: \(problem)\(character)")
    case let .duplicatedKeysInMapping(duplicates, context):
        return duplicateKeyError(duplicates: duplicates, mark: context.mark, sanitized: sanitized,
                                 file: file, override: override)
    default:
        return located(nil, nil, "cannot parse YAML: \(error)")
    }
}

/// 1-based line and column (in Unicode scalars) of the character at `offset`, counting line breaks as libyaml does.
fileprivate func lineAndColumn(ofCharacter offset: Int, in text: String) -> (Int, Int) {
    var line = 1, column = 1
    for character in text.prefix(offset) {
        if character.isLineBreak {
            line += 1
            column = 1
        } else {
            column += character.unicodeScalars.count
        }
    }
    return (line, column)
}

fileprivate extension Character {
    /// Line breaks as libyaml counts them (CR LF is one character in Swift).
    var isLineBreak: Bool {
        switch self {
        case "\n", "\r", "\r\n", "\u{85}", "\u{2028}", "\u{2029}": return true
        default: return false
        }
    }
}

/// Yams rejects duplicate keys but only reports where the first one is. To name the second as
/// well, mark the reported key so it is no longer a duplicate and compose again, repeating until
/// Yams accepts the text; then find the key's mapping and its other occurrence.
fileprivate func duplicateKeyError(duplicates: [String], mark: Mark, sanitized: Sanitized,
                       file: String, override: String?) -> ScenarioError {
    let name = sanitized.restore(duplicates.first ?? "")
    func error(_ line: Int?, _ column: Int?, _ path: String, _ message: String) -> ScenarioError {
        if let override {
            return ScenarioError(file: "--set", path: path, message: message + " (from --set \(override))")
        }
        return ScenarioError(file: file, line: line, column: column, path: path, message: message)
    }
    let fallback = error(mark.line, mark.column, "", "duplicate key \(quoted(name))")
    var scalars = Array(sanitized.text.unicodeScalars)
    var next: Mark? = mark
    var root: Node?
    var attempts = 0
    while let current = next, attempts < 16 {
        attempts += 1
        guard var index = scalarIndex(line: current.line, column: current.column, in: scalars) else { return fallback }
        if index < scalars.count, scalars[index] == "\"" || scalars[index] == "'" { index += 1 }
        scalars.insert(sanitized.keyMark, at: index)
        do {
            let parser = try Parser(yaml: String(String.UnicodeScalarView(scalars)), resolver: .basic,
                                    constructor: .default, encoding: .utf8)
            root = try parser.singleRoot()
            next = nil
        } catch let YamlError.duplicatedKeysInMapping(_, context) {
            next = context.mark
        } catch {
            return fallback
        }
    }
    guard let root else { return fallback }

    /// The column `column` would have without the key marks inserted before it on `line`.
    func originalColumn(_ mark: Mark) -> Int {
        guard let start = scalarIndex(line: mark.line, column: 1, in: scalars) else { return mark.column }
        let end = min(start + mark.column - 1, scalars.count)
        return mark.column - scalars[start..<end].filter { $0 == sanitized.keyMark }.count
    }
    // Walk the marked tree (no aliases in it) to find the mapping holding the reported key.
    var stack: [(node: Node, path: String)] = [(root, "")]
    while let (node, path) = stack.popLast().map({ ($0.node, $0.path) }) {
        switch node {
        case let .sequence(sequence):
            for (index, item) in sequence.enumerated() { stack.append((item, path + "[\(index)]")) }
        case let .mapping(mapping):
            let keys = mapping.map { (key: $0.key, text: sanitized.restore($0.key.string ?? "")) }
            let isTarget = keys.contains { entry in
                guard let keyMark = entry.key.mark else { return false }
                return entry.text == name && keyMark.line == mark.line && originalColumn(keyMark) == mark.column
            }
            if isTarget {
                let others = keys.compactMap { entry -> (line: Int, column: Int)? in
                    guard entry.text == name, let keyMark = entry.key.mark else { return nil }
                    let position = (line: keyMark.line, column: originalColumn(keyMark))
                    return position.line == mark.line && position.column == mark.column ? nil : position
                }.sorted { ($0.line, $0.column) < ($1.line, $1.column) }
                guard let second = others.first else { return fallback }
                let keyPath = path.isEmpty ? name : path + "." + name
                return error(second.line, second.column, keyPath,
                             "duplicate key \(quoted(name)) (first on line \(mark.line), again on line \(second.line))")
            }
            for (key, value) in mapping {
                stack.append((value, path.isEmpty ? sanitized.restore(key.string ?? "")
                                                  : path + "." + sanitized.restore(key.string ?? "")))
            }
        default:
            break
        }
    }
    return fallback
}

/// Index into `scalars` of a libyaml position (1-based line and column, columns in scalars).
fileprivate func scalarIndex(line: Int, column: Int, in scalars: [Unicode.Scalar]) -> Int? {
    var currentLine = 1
    var index = 0
    while currentLine < line {
        guard index < scalars.count else { return nil }
        let scalar = scalars[index]
        index += 1
        switch scalar {
        case "\r":
            if index < scalars.count, scalars[index] == "\n" { index += 1 }
            currentLine += 1
        case "\n", "\u{85}", "\u{2028}", "\u{2029}":
            currentLine += 1
        default:
            break
        }
    }
    let result = index + column - 1
    return result <= scalars.count ? result : nil
}

// MARK: - Overrides

fileprivate enum PathSegment {
    case key(String)
    case index(Int)
}

/// Parses `a.b[2].c` into segments; nil if malformed.
fileprivate func parseOverridePath(_ path: String) -> [PathSegment]? {
    var segments: [PathSegment] = []
    var rest = Substring(path)
    while true {
        let key = rest.prefix { $0 != "." && $0 != "[" && $0 != "]" }
        guard !key.isEmpty else { return nil }
        segments.append(.key(String(key)))
        rest = rest.dropFirst(key.count)
        while rest.first == "[" {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            let digits = rest[rest.index(after: rest.startIndex)..<close]
            guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                  let index = Int(digits) else { return nil }
            segments.append(.index(index))
            rest = rest[rest.index(after: close)...]
        }
        if rest.isEmpty { return segments }
        guard rest.first == "." else { return nil }
        rest = rest.dropFirst()
    }
}

/// Applies one `path=value` override to the document tree.
fileprivate func applyOverride(_ override: String, to root: inout Tree) throws {
    guard let equals = override.firstIndex(of: "=") else {
        throw ScenarioError(file: "--set", message: "expected PATH=VALUE, found \(quoted(override))")
    }
    let path = String(override[..<equals])
    let valueText = String(override[override.index(after: equals)...])
    func fail(_ message: String) -> ScenarioError {
        ScenarioError(file: "--set", path: path, message: message)
    }
    guard let segments = parseOverridePath(path) else {
        throw fail("invalid path; expected keys separated by \".\", each optionally followed by [INDEX], "
                   + "as in nodes[0].maxVM")
    }
    // The path is applied recursively, one level a segment: bounded like a document's nesting.
    guard segments.count <= YAMLDocument.maxDepth else {
        throw ScenarioError(file: "--set", message: "the path has \(segments.count) segments; "
                            + "the limit is \(YAMLDocument.maxDepth) (as for a document's nesting)")
    }
    let origin = Origin.override(override)
    // `path=` with nothing after it is a slip, not a request for the default: `path=null` says that.
    guard let parsed = try parseTree(text: valueText, file: "--set", override: override) else {
        throw fail("no value after \"=\"; give one, or null (or never, for an optional duration) for none")
    }
    var value = parsed
    value.origin = origin

    func apply(_ tree: inout Tree, _ index: Int, _ prefix: String) throws {
        let segment = segments[index]
        let isLast = index == segments.count - 1
        let shown = prefix.isEmpty ? "the document" : quoted(prefix)
        switch segment {
        case let .key(key):
            let childPrefix = prefix.isEmpty ? key : prefix + "." + key
            var entries: [Entry]
            switch tree.content {
            case let .mapping(existing): entries = existing
            case .scalar where tree.isNull: entries = []
            case .sequence:
                throw fail("cannot set key \(quoted(key)) in \(shown), which is a sequence; use an index, as in \(prefix)[0]")
            case .scalar:
                throw fail("cannot set key \(quoted(key)) in \(shown), which is a scalar, not a mapping")
            }
            if let position = entries.firstIndex(where: { $0.key == key }) {
                if isLast {
                    entries[position].value = value
                } else {
                    try apply(&entries[position].value, index + 1, childPrefix)
                }
            } else {
                var child: Tree
                if isLast {
                    child = value
                } else if case .index = segments[index + 1] {
                    throw fail("cannot index \(quoted(childPrefix)): it does not exist")
                } else {
                    child = Tree(content: .mapping([]), origin: origin)
                    try apply(&child, index + 1, childPrefix)
                }
                entries.append(Entry(key: key, keyOrigin: origin, value: child))
            }
            tree.content = .mapping(entries)
        case let .index(position):
            let childPrefix = prefix + "[\(position)]"
            guard case var .sequence(items) = tree.content else {
                let kind = tree.content.isMapping ? "a mapping" : tree.isNull ? "null" : "a scalar"
                throw fail("cannot index \(shown) with [\(position)]: it is \(kind), not a sequence")
            }
            guard position < items.count else {
                throw fail("index \(position) is out of range: \(shown) has \(items.count) item\(items.count == 1 ? "" : "s")")
            }
            if isLast {
                items[position] = value
            } else {
                try apply(&items[position], index + 1, childPrefix)
            }
            tree.content = .sequence(items)
        }
    }
    try apply(&root, 0, "")
}

// MARK: - Scalars

/// Decimal (with `_` between digits) or `0x` hexadecimal, optionally signed.
fileprivate func parseInt(_ text: String) -> Int? {
    var body = Substring(text)
    var negative = false
    if let sign = body.first, sign == "+" || sign == "-" {
        negative = sign == "-"
        body = body.dropFirst()
    }
    var radix = 10
    if body.hasPrefix("0x") || body.hasPrefix("0X") {
        radix = 16
        body = body.dropFirst(2)
    }
    guard isDigitGroup(body, hex: radix == 16) else { return nil }
    let digits = (negative ? "-" : "") + body.filter { $0 != "_" }
    return Int(digits, radix: radix)
}

/// Decimal notation only (no `.inf`, `.nan`, hex floats): `[+-]digits[.digits][e[+-]digits]`,
/// with `_` allowed between digits. The result is finite.
fileprivate func parseDouble(_ text: String) -> Double? {
    var body = Substring(text)
    if let sign = body.first, sign == "+" || sign == "-" { body = body.dropFirst() }
    var mantissa = body
    var exponent: Substring?
    if let e = body.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = body[..<e]
        var digits = body[body.index(after: e)...]
        if let sign = digits.first, sign == "+" || sign == "-" { digits = digits.dropFirst() }
        exponent = digits
    }
    let parts = mantissa.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
    let integer = parts[0]
    let fraction = parts.count > 1 ? parts[1] : ""
    guard !integer.isEmpty || !fraction.isEmpty,
          integer.isEmpty || isDigitGroup(integer, hex: false),
          fraction.isEmpty || isDigitGroup(fraction, hex: false),
          exponent.map({ isDigitGroup($0, hex: false) }) ?? true,
          let value = Double(text.filter { $0 != "_" }), value.isFinite else { return nil }
    return value
}

/// Non-empty digits with single `_` separators strictly between digits.
fileprivate func isDigitGroup(_ text: Substring, hex: Bool) -> Bool {
    guard let first = text.first, let last = text.last, first != "_", last != "_" else { return false }
    var previousUnderscore = false
    for character in text {
        if character == "_" {
            if previousUnderscore { return false }
            previousUnderscore = true
        } else if character.isASCII && (hex ? character.isHexDigit : character.isNumber) {
            previousUnderscore = false
        } else {
            return false
        }
    }
    return true
}

fileprivate func describe(_ range: ClosedRange<Int>?) -> String {
    guard let range else { return "" }
    switch (range.lowerBound == .min, range.upperBound == .max) {
    case (true, true): return ""
    case (false, true): return " >= \(range.lowerBound)"
    case (true, false): return " <= \(range.upperBound)"
    case (false, false):
        return range.lowerBound == range.upperBound
            ? " equal to \(range.lowerBound)"
            : " between \(range.lowerBound) and \(range.upperBound)"
    }
}

fileprivate func describe(_ range: ClosedRange<Double>?) -> String {
    guard let range else { return "" }
    let noLower = range.lowerBound == -.infinity || range.lowerBound == -.greatestFiniteMagnitude
    let noUpper = range.upperBound == .infinity || range.upperBound == .greatestFiniteMagnitude
    switch (noLower, noUpper) {
    case (true, true): return ""
    case (false, true): return " >= \(format(range.lowerBound))"
    case (true, false): return " <= \(format(range.upperBound))"
    case (false, false):
        return range.lowerBound == range.upperBound
            ? " equal to \(format(range.lowerBound))"
            : " between \(format(range.lowerBound)) and \(format(range.upperBound))"
    }
}

/// `5` rather than `5.0` for whole numbers.
fileprivate func format(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int(value)) }
    return String(value)
}

/// `text` in double quotes with escapes, shortened past 60 characters.
fileprivate func quoted(_ text: String) -> String {
    var result = "\""
    var count = 0
    for scalar in text.unicodeScalars {
        if count == 60 {
            result += "…"
            break
        }
        count += 1
        switch scalar {
        case "\"": result += "\\\""
        case "\\": result += "\\\\"
        case "\n": result += "\\n"
        case "\r": result += "\\r"
        case "\t": result += "\\t"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F || (0x80..<0xA0).contains(scalar.value) {
                result += "\\u{\(String(scalar.value, radix: 16))}"
            } else {
                result.unicodeScalars.append(scalar)
            }
        }
    }
    return result + "\""
}

// MARK: Writing a document back

extension YAMLDocument {
    /// The document (overrides applied) as YAML text that reads back to the same values:
    /// the top level in block style, everything below it in flow style.
    public func yaml() -> String {
        guard case let .mapping(entries) = root.tree.content else { return "" }
        return entries.map { "\(emitKey($0.key)): \(emitFlow($0.value))" }.joined(separator: "\n") + "\n"
    }
}

fileprivate func emitKey(_ key: String) -> String {
    let plain = !key.isEmpty && key.unicodeScalars.allSatisfy { CharacterSet.alphanumerics.contains($0) || $0 == "_" || $0 == "-" }
    return plain ? key : jsonQuoted(key)
}

fileprivate func emitFlow(_ tree: Tree) -> String {
    switch tree.content {
    case let .scalar(scalar):
        guard scalar.plain else { return jsonQuoted(scalar.text) }
        let special = scalar.text.contains { ",[]{}#&*!|>'\"%@`".contains($0) } || scalar.text.contains(": ")
        return special ? jsonQuoted(scalar.text) : scalar.text
    case let .sequence(items):
        return "[" + items.map(emitFlow).joined(separator: ", ") + "]"
    case let .mapping(entries):
        return "{" + entries.map { "\(emitKey($0.key)): \(emitFlow($0.value))" }.joined(separator: ", ") + "}"
    }
}

/// A YAML double-quoted scalar: JSON's escapes are valid YAML escapes.
fileprivate func jsonQuoted(_ text: String) -> String { "\"" + jsonEscaped(text) + "\"" }

extension YAMLValue {
    /// This value as flow-style YAML text, e.g. `suspend`, `4`, `{base: fixed, removeJobOverwrites: true}`:
    /// usable as the value of a `--set path=value` override.
    public func flowText() -> String { emitFlow(tree) }
}
