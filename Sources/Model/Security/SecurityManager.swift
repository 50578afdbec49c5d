/// The (virtual) POP-C++ Security Manager of one node: routes public keys by application.
/// Keys are modelled by identity (whose key it is); Real carries the key bytes.
struct SecurityManager: Equatable {
    /// appId -> main node (its manager). First writer wins.
    private(set) var mainNodeOf: [AppID: NodeID] = [:]
    /// (appId, reqId) -> a requester key is stored; consumed once at Prepare VM. Grouped by
    /// application so its end forgets them without scanning every key.
    private var requesterKeysByApp: [AppID: [RequestID]] = [:]

    /// Every stored (appId, reqId), for inspection.
    var requesterKeys: Set<RequesterKey> {
        Set(requesterKeysByApp.flatMap { app, requests in requests.map { RequesterKey(app: app, request: $0) } })
    }
    /// When the last requester key was taken here (`getKeyFromReqMap`, a `conc` method of the 2012 manager).
    private(set) var lastTakeSeconds = -Double.infinity
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
        if requesterKeysByApp[app]?.contains(request) == true { return }
        requesterKeysByApp[app, default: []].append(request)
    }

    /// Takes the requester key for (app, request): true if there was one; it is gone afterwards.
    mutating func takeRequesterKey(app: AppID, request: RequestID, at seconds: Double) -> Bool {
        lastTakeSeconds = seconds
        guard let index = requesterKeysByApp[app]?.firstIndex(of: request) else { return false }
        requesterKeysByApp[app]!.remove(at: index)
        if requesterKeysByApp[app]!.isEmpty { requesterKeysByApp[app] = nil }
        return true
    }

    mutating func vmKeyRouted() { routedVMKeys += 1 }

    func knows(_ app: AppID) -> Bool { mainNodeOf[app] != nil }

    mutating func applicationEnded(_ app: AppID) {
        mainNodeOf[app] = nil
        requesterKeysByApp[app] = nil
    }
}
