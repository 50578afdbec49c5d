/// What this visag is: its version and the commit it was built from (`gitRevision`, written by the
/// GitRevision plugin before each build). Kept in its own small module so that a new commit
/// recompiles this file and relinks, and nothing else.
public enum BuildInfo {
    public static let version = "0.1.0"
    /// 40 hex digits, "-dirty" appended when tracked files had uncommitted changes; "unknown"
    /// when built outside a git checkout.
    public static let revision = gitRevision

    /// `visag --version`.
    public static var versionLine: String { "\(version) (git \(revision))" }
}
