// A problem found while reading a scenario file, located as precisely as we can:
// the file (or `--set` for a command-line override), the line and column when the
// problem comes from a file, and the field path such as `nodes[2].maxVM`.

/// An error in a scenario file or in a `--set` override.
///
/// `description` renders it the way compilers do, so editors can jump to it:
/// `FILE:LINE:COLUMN: error: PATH: MESSAGE`. `:LINE:COLUMN` is dropped when the
/// position is unknown (`:COLUMN` alone when only the column is), and `PATH: ` when
/// the path is empty (the problem concerns the whole document).
public struct ScenarioError: Error, CustomStringConvertible, Equatable, Sendable {
    /// The file path as given by the user, or `--set` for a command-line override.
    public var file: String
    /// 1-based line, if known.
    public var line: Int?
    /// 1-based column (in Unicode scalars), if known.
    public var column: Int?
    /// The field path, e.g. `policies.cloneAhead.threshold` or `nodes[2].maxVM`; empty for the whole document.
    public var path: String
    /// What was expected and what was found.
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, path: String = "", message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    public var description: String {
        var text = file
        if let line {
            text += ":\(line)"
            if let column { text += ":\(column)" }
        }
        text += ": error: "
        if !path.isEmpty { text += path + ": " }
        return text + message
    }
}

/// The candidate closest to `word`, to offer as "did you mean ...?", or nil when none is close.
///
/// A candidate is close when its edit distance (Levenshtein, ignoring case) is at most 2
/// and smaller than the length of both words, or when one word is a prefix of the other
/// (at least 2 characters long). The smallest distance wins; ties go to the earlier candidate.
public func suggestion(for word: String, among candidates: [String]) -> String? {
    let lowered = Array(word.lowercased())
    guard !lowered.isEmpty else { return nil }
    var best: (candidate: String, distance: Int)?
    for candidate in candidates where candidate != word {
        let other = Array(candidate.lowercased())
        guard abs(other.count - lowered.count) <= 2 else { continue }
        let distance = levenshtein(lowered, other)
        if distance <= 2, distance < lowered.count, distance < other.count,
           best == nil || distance < best!.distance {
            best = (candidate, distance)
        }
    }
    if let best { return best.candidate }
    // No near-miss: fall back to prefixes ("thresh" -> "threshold", "thresholdSeconds" -> "threshold").
    var prefixMatch: String?
    for candidate in candidates where candidate != word {
        let a = word.lowercased(), b = candidate.lowercased()
        let isPrefix = (a.count >= 2 && b.hasPrefix(a)) || (b.count >= 2 && a.hasPrefix(b))
        if isPrefix, prefixMatch == nil || candidate.count < prefixMatch!.count {
            prefixMatch = candidate
        }
    }
    return prefixMatch
}

/// Edit distance (insertions, deletions, substitutions) between two character arrays.
private func levenshtein(_ a: [Character], _ b: [Character]) -> Int {
    if a.isEmpty { return b.count }
    if b.isEmpty { return a.count }
    var previous = Array(0...b.count)
    var current = [Int](repeating: 0, count: b.count + 1)
    for i in 1...a.count {
        current[0] = i
        for j in 1...b.count {
            let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
            current[j] = min(substitution, previous[j] + 1, current[j - 1] + 1)
        }
        swap(&previous, &current)
    }
    return previous[b.count]
}
