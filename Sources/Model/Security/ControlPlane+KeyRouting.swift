/// Key routing at the main node (report §5.10): a worker's own key arrives for an application.
extension ControlPlane {
    mutating func vmKeyRouteReceived(_ app: AppID, vm: VMID, at node: NodeID) {
        guard nodes[Int(node.index)].security.knows(app) else {
            // The application has ended here, so its appId maps to nothing: the write has an
            // empty appId. The 2012 code drops it silently; fixed mode reports the lost key.
            if !config.fidelity.has(.emptyAppIdKeyWriteDropped) {
                emit(.report(.keyDropped(vm, KeyWrite(kind: .mainNode(app), app: nil))))
            }
            return
        }
        nodes[Int(node.index)].security.vmKeyRouted()
        let host: KeyHost = config.mainHost == .admin ? .adminVM(node) : .userMachine(node)
        emit(.report(.vmKeyAccepted(vm, app, at: host)))
    }
}
