import CLibvirt
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What this layer reads from a libvirt domain definition, and the rewrite that turns it into a clone's.
///
/// Parsed with Foundation's `XMLDocument` (libxml2 underneath), never by string matching: names, paths and
/// descriptions may hold any character, and only a real parser escapes them correctly.
public struct DomainXML: Equatable, Sendable {
    public struct Disk: Equatable, Sendable {
        public enum Source: Equatable, Sendable {
            case file(path: String)
            case block(path: String)
            case volume(pool: String, volume: String)
            /// A disk type this layer does not copy (network, nvme, …) or a drive with no medium.
            case unsupported(type: String)
        }

        /// `disk`, `cdrom`, `floppy` or `lun`.
        public var device: String
        /// The guest-side name, e.g. `vda`: unique within a domain, so it keys a disk.
        public var targetDevice: String
        public var source: Source
        public var isReadOnly: Bool
        public var isShareable: Bool

        /// A clone gets its own copy only of writable, unshared hard disks; install media and shared disks
        /// are meant to be seen by every machine that names them.
        public var needsOwnCopy: Bool { device == "disk" && !isReadOnly && !isShareable }
    }

    public let name: String
    public let uuid: String?
    /// One per `<interface>`, in document order; nil where the interface has no MAC yet.
    public let interfaceMACs: [String?]
    public let disks: [Disk]

    public init(xml: String) throws {
        let root = try Self.parse(xml, rootName: "domain")
        guard let name = root.firstChild("name")?.stringValue, !name.isEmpty else {
            throw Self.invalid("the domain XML has no <name>")
        }
        self.name = name
        self.uuid = root.firstChild("uuid")?.stringValue
        let devices = root.firstChild("devices")
        self.interfaceMACs = devices?.elements(forName: "interface").map {
            $0.firstChild("mac")?.attributeValue("address")
        } ?? []
        self.disks = devices?.elements(forName: "disk").map(Self.disk(from:)) ?? []
    }

    /// Every MAC address the definition names.
    public var macAddresses: [String] { interfaceMACs.compactMap { $0 } }

    /// The definition of a clone of `xml`: named `newName`, with no `<uuid>` (libvirt generates a fresh one),
    /// the MAC of interface *i* set to `macAddresses[i]`, no host-side tap name, and each disk whose target device
    /// is a key of `diskSources` pointing at its new source. Every other element is kept as written.
    public static func cloneDefinition(
        of xml: String, newName: String, macAddresses: [String], diskSources: [String: Disk.Source]
    ) throws -> String {
        let root = try parse(xml, rootName: "domain")
        root.removeAttribute(forName: "id")
        guard let nameElement = root.firstChild("name") else { throw invalid("the domain XML has no <name>") }
        nameElement.stringValue = newName
        root.removeChildren(named: "uuid")
        // A per-domain firmware variable store must not be shared; with its path cleared libvirt derives a new one
        // from the new name and seeds it from the template.
        root.firstChild("os")?.firstChild("nvram")?.stringValue = ""

        let devices = root.firstChild("devices")
        let interfaces = devices?.elements(forName: "interface") ?? []
        guard interfaces.count == macAddresses.count else {
            throw invalid("\(interfaces.count) interfaces but \(macAddresses.count) new MAC addresses")
        }
        for (interface, mac) in zip(interfaces, macAddresses) {
            interface.removeChildren(named: "mac")
            let macElement = XMLElement(name: "mac")
            macElement.setAttribute("address", to: mac)
            // corelibs' insertChild(_:at: 0) traps on an element with no children.
            if interface.childCount == 0 {
                interface.addChild(macElement)
            } else {
                interface.insertChild(macElement, at: 0)
            }
            // The host-side device name (vnet3, testnet0) belongs to the running source.
            interface.removeChildren(named: "target")
        }

        var unused = Set(diskSources.keys)
        for disk in devices?.elements(forName: "disk") ?? [] {
            guard let target = disk.firstChild("target")?.attributeValue("dev"),
                let newSource = diskSources[target]
            else { continue }
            unused.remove(target)
            try rewrite(disk: disk, to: newSource)
        }
        if let missing = unused.sorted().first {
            throw invalid("no disk with target device \"\(missing)\" to point at its copy")
        }
        return root.xmlString
    }

    /// A locally administered unicast MAC in QEMU's 52:54:00 range, derived from the domain name and interface
    /// index so that cloning the same name twice yields the same address (reproducible runs), and different names
    /// almost always differ (24 bits of FNV-1a; a collision is possible but libvirt does not reject one, so pick
    /// worker names that differ, as the `_workerN` scheme does).
    public static func macAddress(forDomain name: String, interfaceIndex: Int) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in Array("\(name)#\(interfaceIndex)".utf8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let tail = (0..<3).map { shift in String(format: "%02x", (hash >> (UInt64(shift) * 8)) & 0xff) }
        return "52:54:00:" + tail.joined(separator: ":")
    }

    /// `<domainsnapshot>` with a name and an optional description, escaped by the XML writer.
    static func snapshotDefinition(name: String, description: String?) -> String {
        let root = XMLElement(name: "domainsnapshot")
        root.addChild(XMLElement(name: "name", stringValue: name))
        if let description { root.addChild(XMLElement(name: "description", stringValue: description)) }
        return root.xmlString
    }

    // MARK: Parsing helpers

    static func parse(_ xml: String, rootName: String) throws -> XMLElement {
        let document: XMLDocument
        do {
            document = try XMLDocument(xmlString: xml, options: [])
        } catch {
            throw invalid("the \(rootName) XML does not parse: \(error)")
        }
        guard let root = document.rootElement(), root.name == rootName else {
            throw invalid("the XML's root element is not <\(rootName)>")
        }
        return root
    }

    static func invalid(_ message: String) -> LibvirtError {
        LibvirtError.local(VIR_ERR_XML_ERROR, operation: "rewrite XML", message: message)
    }

    private static func disk(from element: XMLElement) -> Disk {
        let type = element.attributeValue("type") ?? "file"
        let source = element.firstChild("source")
        let parsedSource: Disk.Source
        switch type {
        case "file":
            parsedSource = source?.attributeValue("file").map { .file(path: $0) } ?? .unsupported(type: type)
        case "block":
            parsedSource = source?.attributeValue("dev").map { .block(path: $0) } ?? .unsupported(type: type)
        case "volume":
            if let pool = source?.attributeValue("pool"), let volume = source?.attributeValue("volume") {
                parsedSource = .volume(pool: pool, volume: volume)
            } else {
                parsedSource = .unsupported(type: type)
            }
        default:
            parsedSource = .unsupported(type: type)
        }
        return Disk(
            device: element.attributeValue("device") ?? "disk",
            targetDevice: element.firstChild("target")?.attributeValue("dev") ?? "",
            source: parsedSource,
            isReadOnly: element.firstChild("readonly") != nil,
            isShareable: element.firstChild("shareable") != nil)
    }

    private static func rewrite(disk: XMLElement, to source: Disk.Source) throws {
        let sourceElement: XMLElement
        if let existing = disk.firstChild("source") {
            sourceElement = existing
        } else {
            sourceElement = XMLElement(name: "source")
            disk.addChild(sourceElement)
        }
        for attribute in ["file", "dev", "pool", "volume", "mode", "index"] {
            sourceElement.removeAttribute(forName: attribute)
        }
        switch source {
        case .file(let path):
            disk.setAttribute("type", to: "file")
            sourceElement.setAttribute("file", to: path)
        case .block(let path):
            disk.setAttribute("type", to: "block")
            sourceElement.setAttribute("dev", to: path)
        case .volume(let pool, let volume):
            disk.setAttribute("type", to: "volume")
            sourceElement.setAttribute("pool", to: pool)
            sourceElement.setAttribute("volume", to: volume)
        case .unsupported(let type):
            throw invalid("cannot point a disk at a source of type \"\(type)\"")
        }
        // The copy is a standalone image; a recorded backing chain describes the source's, not the copy's.
        disk.removeChildren(named: "backingStore")
    }
}

extension XMLElement {
    func firstChild(_ name: String) -> XMLElement? { elements(forName: name).first }

    func attributeValue(_ name: String) -> String? { attribute(forName: name)?.stringValue }

    func setAttribute(_ name: String, to value: String) {
        removeAttribute(forName: name)
        // swift-corelibs-foundation types this factory as Any; it always returns an attribute node.
        if let attribute = XMLNode.attribute(withName: name, stringValue: value) as? XMLNode {
            addAttribute(attribute)
        }
    }

    func removeChildren(named name: String) {
        for child in elements(forName: name) { child.detach() }
    }
}
