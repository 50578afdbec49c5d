import Model

/// The kinds of service message, numbered once for the trace's encoding and named for the
/// scenario's message faults.
enum MessageKind {
    /// Scenario names, in `index` order.
    static let names = [
        "placeObjects", "objectsPlaced", "capacityReleased", "vmAdded", "discoveryRequest", "discoveryReply",
        "reserve", "reserveAnswered", "execute", "objectStarted", "objectFailed", "objectCompleted", "cancelObject",
        "applicationEnded", "routeVMKey",
    ]

    @inline(__always)
    static func index(_ body: MessageBody) -> Int {
        switch body {
        case .placeObjects: 0
        case .objectsPlaced: 1
        case .capacityReleased: 2
        case .vmAdded: 3
        case .discoveryRequest: 4
        case .discoveryReply: 5
        case .reserve: 6
        case .reserveAnswered: 7
        case .execute: 8
        case .objectStarted: 9
        case .objectFailed: 10
        case .objectCompleted: 11
        case .cancelObject: 12
        case .applicationEnded: 13
        case .routeVMKey: 14
        }
    }
}
