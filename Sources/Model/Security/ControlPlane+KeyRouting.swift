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

    /// `writePKI(emptyPOPAppID, key)` (virtual-secure builds): a responder's write of the main's key on a
    /// positive discovery answer, Prepare VM's local write of the VM's own key, `AllocResource`'s write of a
    /// responder's key. `writePKIToVM` looks for the VM whose reserved appId equals the empty one: the first
    /// running worker no application ever held gets the key (`//TODO write to the good VM`); with none, the
    /// write is dropped. Fixed mode keeps such keys in the security manager only.
    mutating func writeKeyWithEmptyAppID(_ kind: KeyKind, of app: AppID, at node: NodeID) {
        guard config.mode == .virtualSecure, config.fidelity.has(.emptyAppIdKeyWriteDropped) else { return }
        for id in nodes[Int(node.index)].vms
        where !vms[Int(id.index)].everReserved && vms[Int(id.index)].exists && vms[Int(id.index)].power == .running {
            vms[Int(id.index)].cleanSinceRevert = false
            emit(.writeKey(id, keyWrite(kind, app: app), ticket: 0))
            return
        }
    }
}
