import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Storage volume XML for `virStorageVolCreateXMLFrom`.
enum VolumeXML {
    /// The source volume's own definition with a new name and without what identifies or locates the source
    /// (key, path), its measured allocation and its backing chain: the pool fills those in for the copy, which is
    /// a standalone image of the same format and capacity.
    static func cloneDefinition(of sourceXML: String, newName: String) throws -> String {
        let root = try DomainXML.parse(sourceXML, rootName: "volume")
        guard let name = root.firstChild("name") else {
            throw DomainXML.invalid("the volume XML has no <name>")
        }
        name.stringValue = newName
        root.removeChildren(named: "key")
        root.removeChildren(named: "allocation")
        root.removeChildren(named: "physical")
        root.removeChildren(named: "backingStore")
        if let target = root.firstChild("target") {
            target.removeChildren(named: "path")
            target.removeChildren(named: "timestamps")
        }
        return root.xmlString
    }
}
