import Model

/// Whose key a key write stands for, as the benchmark's keyring files them: the same owners
/// Model's SecurityManager routes (report §5.10), named by application, node and object.
///
/// A worker VM's own key (fetched once per VM and routed to the main node) is `.vm`.
enum KeyOwner: Hashable, Sendable, CustomStringConvertible {
    /// The application's main node (`KeyKind.mainNode`).
    case mainNode(app: AppID, node: NodeID)
    /// The node that requested this object: the application's main process (`KeyKind.requester`).
    case requester(app: AppID?, node: NodeID, object: ObjectID)
    /// The admin VM of a node (`KeyKind.admin`), for the application it was written for.
    case admin(node: NodeID, app: AppID?)
    /// A worker VM's own key, by domain name.
    case vm(domain: String)

    /// The owner of the key Model asked to write. `mainNode` is the application's main node.
    /// Every object of the benchmark's application is requested by its main process, so the
    /// requester's key is the main node's key (the original then writes it once, as the requester's).
    init(_ write: KeyWrite, mainNode: NodeID) {
        switch write.kind {
        case .mainNode(let app): self = .mainNode(app: app, node: mainNode)
        case .requester(let object):
            if let app = write.app {
                self = .mainNode(app: app, node: mainNode)
            } else {
                self = .requester(app: nil, node: mainNode, object: object)
            }
        case .admin(let node): self = .admin(node: node, app: write.app)
        case .worker(let vm): self = .vm(domain: "worker\(vm.index)")
        case .node(let node): self = .admin(node: node, app: write.app)
        }
    }

    var description: String {
        switch self {
        case .mainNode(let app, let node): "main/\(node.index)/app\(app.index)"
        case .requester(let app, let node, let object):
            "requester/\(node.index)/" + (app.map { "app\($0.index)" } ?? "app-none") + "/object\(object.index)"
        case .admin(let node, let app): "admin/\(node.index)/" + (app.map { "app\($0.index)" } ?? "app-none")
        case .vm(let domain): "vm/\(domain)"
        }
    }
}
