import Foundation

/// Where the package's own files are, found from this file upwards, so a test reads `Scenarios/…` and the
/// fixtures wherever its own file sits in the folders below.
enum PackagePaths {
    static let root: URL = {
        var folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: folder.appendingPathComponent("Package.swift").path) {
            let parent = folder.deletingLastPathComponent()
            precondition(parent.path != folder.path, "no Package.swift above \(#filePath)")
            folder = parent
        }
        return folder
    }()
    static let fixtures = root.appendingPathComponent("Tests/SimTests/Fixtures")
}
