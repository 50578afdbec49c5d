import Model
import Real

/// The virtual-secure mode's credentials, all derived from Model's key routing: a worker accepts
/// the keys of the key writes Model emitted for its VM (main node, admin, requester), each line
/// behind Model's SSH restrictions, and presents its VM's own key (the one Model fetched and
/// routed to the main node); the coordinator, the application's main process, presents the main
/// node's key and accepts only the VM's own key from each worker.
struct RoutedCredentials {
    struct Worker {
        /// The guest's `authorized_keys` after Model's writes, with the run's real keys.
        let authorizedKeys: String
        /// The VM's own certificate and key, as the worker reads them on stdin.
        let identity: TLSPinnedIdentity
        /// The VM's own public key, the only one the coordinator accepts from this worker.
        let vmPublicKey: [UInt8]
    }

    let coordinator: TLSPinnedIdentity
    let workers: [Worker]

    init(vms: WorkerVMs, keyring: RoutedKeyring) throws {
        coordinator = try keyring.identity(of: .mainNode(app: vms.app, node: vms.mainNode), address: "127.0.0.1")
        workers = try vms.slots.map { slot in
            try Self.worker(slot, mainNode: vms.mainNode, keyring: keyring)
        }
    }

    static func worker(_ slot: WorkerVMs.Slot, mainNode: NodeID, keyring: RoutedKeyring) throws -> Worker {
        let lines = try slot.keyWrites.map { write in
            GuestKeyWrite(write: write, publicKey: try keyring.openSSHPublicKey(of: KeyOwner(write, mainNode: mainNode)))
                .authorizedKeysLine
        }
        let owner = KeyOwner.vm(domain: slot.guest.domainName)
        return Worker(authorizedKeys: lines.map { $0 + "\n" }.joined(),
                      identity: try keyring.identity(of: owner, address: slot.address.description),
                      vmPublicKey: try keyring.key(of: owner).rawPublicKey())
    }
}
