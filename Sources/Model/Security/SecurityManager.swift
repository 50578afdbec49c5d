/// The (virtual) POP-C++ Security Manager of one node: routes public keys by application.
/// Keys are modelled by identity (whose key it is); Real carries the key bytes.
struct SecurityManager: Equatable {
    /// appId -> main node (its manager). First writer wins.
    private(set) var mainNodeOf: [AppID: NodeID] = [:]
    /// (appId, reqId) -> a requester key is stored; consumed once at Prepare VM.
    private(set) var requesterKeys: Set<RequesterKey> = []
    /// VM keys rerouted here because this node runs the application's main.
    private(set) var routedVMKeys: Int = 0

    struct RequesterKey: Hashable {
        var app: AppID
        var request: RequestID
    }

    mutating func mainNodeLearned(_ app: AppID, main: NodeID) {
        if mainNodeOf[app] == nil { mainNodeOf[app] = main }
    }

    mutating func requesterKeyReceived(app: AppID, request: RequestID) {
        requesterKeys.insert(RequesterKey(app: app, request: request))
    }

    /// Takes the requester key for (app, request): true if there was one; it is gone afterwards.
    mutating func takeRequesterKey(app: AppID, request: RequestID) -> Bool {
        requesterKeys.remove(RequesterKey(app: app, request: request)) != nil
    }

    mutating func vmKeyRouted() { routedVMKeys += 1 }

    func knows(_ app: AppID) -> Bool { mainNodeOf[app] != nil }

    mutating func applicationEnded(_ app: AppID) {
        mainNodeOf[app] = nil
        requesterKeys = requesterKeys.filter { $0.app != app }
    }
}
