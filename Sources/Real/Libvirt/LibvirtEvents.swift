import CLibvirt
import Foundation

/// libvirt's process-wide set-up and its event loop.
///
/// libvirt delivers events (and, for remote drivers, keepalives) only while something runs its event loop, and
/// the loop implementation must be registered before the first connection opens. This starts libvirt's default
/// implementation once per process, on a dedicated thread, and is called by every `LibvirtConnection.init`.
public enum LibvirtEvents {
    /// Idempotent and thread-safe (a lazily initialised global runs exactly once). Needs libvirt loaded, which
    /// `LibvirtConnection.init` checks before calling this.
    public static func startDefaultLoop() {
        _ = started
    }

    private static let started: Void = {
        // Required before any other call when several threads use libvirt.
        _ = virInitialize()
        // libvirt's default handler prints every error to stderr; this layer reports them as LibvirtError instead.
        virSetErrorFunc(nil) { _, _ in }
        if virEventRegisterDefaultImpl() < 0 {
            LibvirtConnection.logger.error("libvirt: registering the default event loop failed; no events will arrive")
            return
        }
        let loop = Thread {
            while true {
                if virEventRunDefaultImpl() < 0 {
                    // Not expected; the pause keeps a persistent failure from spinning a core.
                    Thread.sleep(forTimeInterval: 0.1)
                }
            }
        }
        loop.name = "libvirt-event-loop"
        loop.start()
    }()
}

/// A `VIR_DOMAIN_EVENT_ID_LIFECYCLE` event.
public enum DomainLifecycleEvent: Equatable, Sendable {
    case defined
    case undefined
    case started
    case suspended
    case resumed
    case stopped
    case shutdown
    case pmSuspended
    case crashed
    /// An event type newer than this layer, raw value kept.
    case other(Int32)

    init(libvirtEvent raw: Int32) {
        switch UInt32(bitPattern: raw) {
        case VIR_DOMAIN_EVENT_DEFINED.rawValue: self = .defined
        case VIR_DOMAIN_EVENT_UNDEFINED.rawValue: self = .undefined
        case VIR_DOMAIN_EVENT_STARTED.rawValue: self = .started
        case VIR_DOMAIN_EVENT_SUSPENDED.rawValue: self = .suspended
        case VIR_DOMAIN_EVENT_RESUMED.rawValue: self = .resumed
        case VIR_DOMAIN_EVENT_STOPPED.rawValue: self = .stopped
        case VIR_DOMAIN_EVENT_SHUTDOWN.rawValue: self = .shutdown
        case VIR_DOMAIN_EVENT_PMSUSPENDED.rawValue: self = .pmSuspended
        case VIR_DOMAIN_EVENT_CRASHED.rawValue: self = .crashed
        default: self = .other(raw)
        }
    }
}

/// A lifecycle-event registration, to pass to `cancelLifecycleEvents(_:)`.
public struct LifecycleSubscription: Hashable, Sendable {
    let callbackID: Int32
}

/// What a lifecycle handler receives: the domain's name, the event, and libvirt's event-specific detail code
/// (e.g. `VIR_DOMAIN_EVENT_STARTED_BOOTED`).
public typealias LifecycleHandler = @Sendable (_ domainName: String, _ event: DomainLifecycleEvent, _ detail: Int32) -> Void

/// Owns the Swift handler while libvirt holds a pointer to it.
private final class LifecycleHandlerBox: Sendable {
    let handler: LifecycleHandler
    init(_ handler: @escaping LifecycleHandler) { self.handler = handler }
}

extension LibvirtConnection {
    /// Calls `handler` for every lifecycle event of every domain on this connection, on libvirt's event-loop
    /// thread. The handler must return quickly and must not wait for a call on this connection to finish.
    /// It stays registered until `cancelLifecycleEvents(_:)` or `close()`.
    @discardableResult
    public func onLifecycleEvent(_ handler: @escaping LifecycleHandler) throws -> LifecycleSubscription {
        try withHandle("register lifecycle events") { connection in
            // One retain for libvirt, given back by the free callback once libvirt has dropped the registration
            // and no dispatch is using it any more.
            let context = Unmanaged.passRetained(LifecycleHandlerBox(handler)).toOpaque()
            let callback: @convention(c) (
                OpaquePointer?, OpaquePointer?, Int32, Int32, UnsafeMutableRawPointer?
            ) -> Int32 = { _, domain, event, detail, context in
                guard let domain, let context else { return 0 }
                let box = Unmanaged<LifecycleHandlerBox>.fromOpaque(context).takeUnretainedValue()
                let name = virDomainGetName(domain).map { String(cString: $0) } ?? ""
                box.handler(name, DomainLifecycleEvent(libvirtEvent: event), detail)
                return 0
            }
            let callbackID = virConnectDomainEventRegisterAny(
                connection, nil, Int32(VIR_DOMAIN_EVENT_ID_LIFECYCLE.rawValue),
                // libvirt's registration takes the generic callback type and casts back by event id, as its own
                // VIR_DOMAIN_EVENT_CALLBACK macro does.
                unsafeBitCast(callback, to: virConnectDomainEventGenericCallback.self),
                context,
                { context in
                    guard let context else { return }
                    Unmanaged<LifecycleHandlerBox>.fromOpaque(context).release()
                })
            guard callbackID >= 0 else {
                // libvirt does not call the free callback for a registration that failed.
                Unmanaged<LifecycleHandlerBox>.fromOpaque(context).release()
                throw LibvirtError.last(operation: "register lifecycle events", connection: connection)
            }
            recordLifecycleCallback(callbackID)
            return LifecycleSubscription(callbackID: callbackID)
        }
    }

    /// Stops a handler registered with `onLifecycleEvent`. Events already being dispatched may still arrive.
    public func cancelLifecycleEvents(_ subscription: LifecycleSubscription) throws {
        try withHandle("deregister lifecycle events") { connection in
            guard forgetLifecycleCallback(subscription.callbackID) else { return }
            try check(
                virConnectDomainEventDeregisterAny(connection, subscription.callbackID),
                "deregister lifecycle events", connection: connection)
        }
    }
}
